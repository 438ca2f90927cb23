"""What technical assistance offers the rest of the site: navigation and demo data."""
from .. import ui
from ..permissions import can
from . import demo


def register(app):
    ui.add_nav(app, "Help", "assistance.index", order=46,
               visible=lambda user: can(user, "view_members") and (user.county_id is not None or can(user, "organize")))
    ui.add_demo_seed(app, "assistance", demo.seed_requests, order=65)
