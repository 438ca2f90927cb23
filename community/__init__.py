"""Linkages Community: the intranet where California's CWS and CalWORKs staff learn from each other."""
import importlib
import logging

from flask import Flask

from .config import load_config

#: Feature areas, each a package with `init_app(app)`; the core imports none of them directly.
FEATURES = [
    "community.accounts",
    "community.core",
    "community.search",
    "community.forums",
    "community.resources",
    "community.convenings",
    "community.surveys",
    "community.assistance",
    "newsletters",
]


def create_app(config=None):
    """Create the application.

    :param config: overrides applied after the environment (tests pass their settings here).
    """
    from .config import Config

    instance_path = (config or {}).get("INSTANCE_PATH") or Config.INSTANCE_PATH
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    load_config(app, config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    from . import caching, errors, inbound, inputs, jobs, security, templating
    from .extensions import csrf, db, limiter, login_manager, migrate

    inputs.init_app(app)  # first: routes added later use its URL converters
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    jobs.init_app(app)
    inbound.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    caching.init_app(app)

    for name in app.config.get("FEATURES", FEATURES) + app.config.get("EXTRA_FEATURES", []):
        importlib.import_module(name).init_app(app)

    from . import cli

    cli.init_app(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
