"""Convenings, webinars and cluster calls: calendars, agendas, registration with waitlists, feeds."""
from flask import Blueprint

bp = Blueprint("convenings", __name__, url_prefix="/events", template_folder="templates")


def init_app(app):
    from ..clusters.models import membership_ended
    from . import cli, provides, services, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.jinja_env.globals["event_when"] = services.when_html
    cli.init_app(app)
    provides.register(app)
    # Connected once per process (blinker keeps one strong reference however many apps).
    membership_ended.connect(services.on_membership_ended, weak=False)
