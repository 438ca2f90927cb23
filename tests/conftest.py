"""Test fixtures: the app on SQLite and PostgreSQL, mail, a live server and a real browser.

Every test that uses `app` runs once per database backend: always SQLite, and PostgreSQL when
TEST_DATABASE_URL is set (CI sets it; under CI=true its absence is an error, not a skip).
"""
import os
import shutil
from email import message_from_bytes, policy

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import text

from community import create_app
from community.extensions import db

pytest_plugins = ["tests.support.summary", "tests.support.mailserver", "tests.support.browser"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _own_services_per_worker():
    """Under pytest-xdist each worker gets its own PostgreSQL database and Redis database number.

    `make test` runs the suite in parallel (`-n auto --dist loadfile`); two workers sharing one
    database would truncate each other's tables. Worker `gwN` uses `<TEST_DATABASE_URL>_gwN`
    (created empty here, dropped by .ci/run) and Redis database `<n> - N`.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return
    index = int(worker.removeprefix("gw") or 0)
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base and not base.rstrip("/").endswith(f"_{worker}"):
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(base)
        name = f"{url.database}_{worker}"
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if redis_url:
        prefix, _, number = redis_url.rpartition("/")
        if number.isdigit():
            os.environ["TEST_REDIS_URL"] = f"{prefix}/{max(int(number) - index, 0)}"


_own_services_per_worker()


def _share_url_builders():
    """Every test builds its own app, and Werkzeug compiles two small Python functions for each of
    its 146 URL rules (an AST, then `compile`): about 60 ms per test, a twentieth of the suite.
    A builder depends only on the rule's parsed parts, its defaults and its converters (it
    reaches the converters through the rule it is bound to), so this process keeps one per rule."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    kept = {}

    def shared_builder(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), append_unknown, repr(sorted((self.defaults or {}).items())),
               tuple(sorted((name, type(c), getattr(c, "regex", None)) for name, c in self._converters.items())))
        if key not in kept:
            kept[key] = compile_builder(self, append_unknown)
        return kept[key]

    Rule._compile_builder = shared_builder


_share_url_builders()


def _share_engines():
    """The first app a test makes uses the engine (and so the compiled-statement cache and the
    connections) of the test process's earlier apps on the same database: SQLAlchemy keeps the
    SQL it compiled per engine, and compiling every statement again for each test's new engine
    took a fifth of the view tests' time. A second app in a test (another node) gets its own
    engine, as another machine would."""
    from flask_sqlalchemy import SQLAlchemy

    make_engine = SQLAlchemy._make_engine
    kept = {}

    def shared_engine(self, bind_key, options, app):
        if not app.config.get("TESTING_SHARED_ENGINE"):
            return make_engine(self, bind_key, options, app)
        key = (bind_key, repr(sorted(options.items(), key=lambda item: item[0])))
        if key not in kept:
            kept[key] = make_engine(self, bind_key, options, app)
        return kept[key]

    SQLAlchemy._make_engine = shared_engine


_share_engines()
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
#: Tables whose rows are reference data and survive between tests.
KEEP_TABLES = {"counties", "alembic_version", "library_version", "search_version", "events_version"}


def pytest_configure(config):
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI.")


def _backends():
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("community")


@pytest.fixture(scope="session")
def database_urls(session_dir):
    urls = {"sqlite": f"sqlite:///{session_dir / 'test.sqlite3'}"}
    if PG_URL:
        urls["postgresql"] = PG_URL
    return urls


class RequestIsolatedClient(FlaskClient):
    """Each request gets its own app context (own `g` and database session), as in production.

    The test's own session is expired afterwards so it reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


class SharedTemplateCode(BytecodeCache):
    """Compiled templates shared by every app this test process makes (Jinja checks each against
    its source's checksum). Each test builds its own app, and compiling the same templates again
    for each took about a tenth of a test's time."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()
_prepared = set()


def _prepare_schema(app):
    """Create the schema once per backend and session, and the reference data."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url in _prepared:
        return
    from community.cli import ensure_counties

    with app.app_context():
        db.drop_all()
        if url.startswith("postgresql"):
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        db.create_all()
        ensure_counties()
        db.session.commit()
    _prepared.add(url)


_sequences = {}


def _clean(app):
    """Empty every table but the reference data, children first, and start their ids at 1 again.

    On PostgreSQL this deletes rather than truncates: TRUNCATE makes new files for all 55 tables
    and took 0.2 to 1 s per test; deleting the few rows a test made takes milliseconds.
    """
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        for table in tables:
            db.session.execute(table.delete())
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql"):
            if url not in _sequences:
                _sequences[url] = db.session.scalars(text(
                    "SELECT s.oid::regclass::text FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND t.relname = ANY(:names)"),
                    {"names": [t.name for t in tables]}).all()
            if _sequences[url]:
                db.session.execute(text("SELECT " + ", ".join(
                    f"setval('{name}', 1, false)" for name in _sequences[url])))
        db.session.commit()


@pytest.fixture(params=_backends())
def backend(request):
    return request.param


@pytest.fixture
def app_factory(backend, database_urls, tmp_path):
    """Build an app on this test's backend with overrides; the tables are emptied afterwards."""
    made = []

    def factory(**overrides):
        instance = tmp_path / "instance"
        config = {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": database_urls[backend],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_URL": "file",
            "MAIL_OUTBOX": str(tmp_path / "outbox"),
            "REDIS_URL": "",
            "SITE_URL": "http://community.test",
            "SERVER_NAME": None,
            # Hashes name their method, so this changes nothing but the time: scrypt took a
            # tenth of a second per person made, about a tenth of the suite.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
        config.update(overrides)
        config.setdefault("TESTING_SHARED_ENGINE", not made)
        application = create_app(config)
        application.test_client_class = RequestIsolatedClient
        application.jinja_env.bytecode_cache = TEMPLATE_CODE
        _prepare_schema(application)
        made.append(application)
        return application

    yield factory
    if made:
        _clean(made[0])


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application
        # Jobs the test queued and did not run itself would run as the context closes (as after
        # a CLI command): the test is over and nothing reads what they would do.
        db.session.info.pop("ready_jobs", None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(tmp_path):
    """Read the messages written to the file outbox, oldest first."""

    class Outbox:
        path = tmp_path / "outbox"

        def messages(self):
            if not self.path.exists():
                return []
            return [message_from_bytes(p.read_bytes(), policy=policy.default)
                    for p in sorted(self.path.glob("*.eml"))]

        def to(self, address):
            return [m for m in self.messages() if address in m["To"]]

        def clear(self):
            shutil.rmtree(self.path, ignore_errors=True)

    return Outbox()


@pytest.fixture
def make_user():
    """Create an active account through the same service the CLI uses (in the current app)."""
    from community.accounts import services

    counter = {"n": 0}

    def make(role="member", name=None, email=None, password="correct horse battery", county="Stanislaus",
             program="cws", **kwargs):
        counter["n"] += 1
        name = name or f"Test Person {counter['n']}"
        email = email or f"person{counter['n']}@county.example.gov"
        user = services.create_user(email, name, password, role=role, county_name=county,
                                    program=program, **kwargs)
        db.session.commit()
        return user

    return make


@pytest.fixture
def pages_built(app):
    """Every page of `app` is built, none served kept whole (`caching.whole_page`): for tests of
    what a page shows when something outside the database changes (`count_queries` does the
    same inside its block)."""
    app.config["KEEP_WHOLE_PAGES"] = False


@pytest.fixture
def sign_in(client):
    """Sign a person in through the real sign-in form."""

    def do(user, password="correct horse battery"):
        response = client.post("/sign-in", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


def text_of(message):
    """The plain-text body of an e-mail message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def html_of(message):
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else ""
