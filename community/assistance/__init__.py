"""Technical-assistance requests: counties ask CFPIC for help; CFPIC triages, schedules and resolves."""
from flask import Blueprint

bp = Blueprint("assistance", __name__, url_prefix="/assistance", template_folder="templates")


def init_app(app):
    from . import provides, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    provides.register(app)
