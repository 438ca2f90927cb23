"""The Linkages newsletter: subscribers, a composer fed by the site's own content, reliable sending."""
from flask import Blueprint

bp = Blueprint("newsletters", __name__, template_folder="templates")
#: The organizers' pages (composer, sending, subscribers): one blueprint, one guard (`manage.py`).
manage_bp = Blueprint("newsletters_manage", __name__, template_folder="templates")

def init_app(app):
    from . import cli, manage, provides, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    cli.init_app(app)
    provides.register(app)
