"""The resource library: county artifacts shared, versioned, extracted for search; the Toolkit."""
from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/library")


def init_app(app):
    from . import files, provides, views  # noqa: F401  (routes register on import)

    files.store_name(app)  # refuse an unknown FILE_STORE at start-up
    files.init_cli(app)
    app.register_blueprint(bp)
    provides.register(app)
