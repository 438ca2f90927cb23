"""County implementation surveys: instruments asked in rounds, answered by counties or staff."""
from flask import Blueprint

bp = Blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")
#: Organizer pages: building instruments, running rounds (guarded as a unit in `manage.py`).
manage_bp = Blueprint("surveys_manage", __name__, url_prefix="/surveys/manage", template_folder="templates")


def init_app(app):
    from . import cli, manage, provides, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    cli.init_app(app)
    provides.register(app)
