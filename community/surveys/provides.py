"""What surveys offer the rest of the site: navigation, a home-page section, demo data."""
from .. import ui
from ..permissions import can
from . import demo, services


def register(app):
    ui.add_stylesheet(app, "css/surveys.css")
    ui.add_nav(app, "Surveys", "surveys.index", order=45, visible=lambda user: can(user, "view_members"))
    ui.add_section(app, "home", "surveys/_home_section.html", home_section, order=15)
    ui.add_demo_seed(app, "surveys", demo.seed_surveys, order=60)


def home_section(user):
    """Rounds waiting for this person's (or their county's) answers."""
    waiting = [(r, response) for r, response in services.rounds_for(user, answerable_only=True)
               if not (response and response.is_submitted)]
    return {"waiting": waiting} if waiting else None
