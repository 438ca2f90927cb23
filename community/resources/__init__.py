"""The resource library: county artifacts shared, versioned, extracted for search; the Toolkit."""
from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/library")


def init_app(app):
    from . import files, provides, views  # noqa: F401  (routes register on import)
    from .manage import bp as manage_bp

    files.store_name(app)  # refuse an unknown FILE_STORE at start-up
    files.init_cli(app)
    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    provides.register(app)
