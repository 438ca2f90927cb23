"""Convenings, webinars and cluster calls: calendars, agendas, registration with waitlists, feeds."""
from flask import Blueprint

bp = Blueprint("convenings", __name__, url_prefix="/events", template_folder="templates")


def init_app(app):
    from .. import content, ui
    from ..clusters.models import membership_ended
    from . import calendar, cli, demo, integration, services, views  # noqa: F401  (routes register on import)
    ui.add_stylesheet(app, "css/convenings.css")

    app.register_blueprint(bp)
    app.jinja_env.globals["event_when"] = services.when_html
    cli.init_app(app)
    ui.add_nav(app, "Events", "convenings.upcoming", order=30)
    ui.add_section(app, "home", "convenings/_home_section.html", integration.home_section, order=20)
    ui.add_section(app, "cluster", "convenings/_cluster_section.html", integration.cluster_section, order=40)
    content.register_provider(app, "events.upcoming_public", integration.upcoming_public_cards)
    content.register_provider(app, "cards.for_path", integration.card_for_path)
    content.register_provider(app, "cards.for_paths", integration.cards_for_paths)
    content.register_provider(app, "calendar.meeting_invitation", calendar.meeting_invitation)
    content.register_source(app, "event", "Events", integration.search_documents)
    ui.add_demo_seed(app, "events", demo.seed_events, order=40)
    # Connected once per process (blinker keeps one strong reference however many apps).
    membership_ended.connect(services.on_membership_ended, weak=False)
