"""Migrations: upgrade from empty to head, and the models match the migrations exactly."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text

from community import create_app
from community.extensions import db
from tests.conftest import PG_URL


def _fresh_database(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", lambda: None
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{base}/{name}", drop


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_empty_to_head_matches_the_models(backend, tmp_path):
    if backend == "postgresql" and not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url, drop = _fresh_database(backend, tmp_path)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                          "SECRET_KEY": "x" * 40})
        with app.app_context():
            upgrade()
            from community.accounts.models import County

            assert db.session.scalar(select(func.count()).select_from(County)) == 58
            db.session.remove()  # release the read lock before DDL on another connection
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            upgrade()
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
