"""The shared pages: the public landing page and the members' home page."""
from flask import Blueprint

bp = Blueprint("core", __name__)


def init_app(app):
    from .. import ui
    from . import checklist, demo, views  # noqa: F401

    app.register_blueprint(bp)
    ui.add_section(app, "home", "core/_checklist.html", checklist.section, order=0)
    ui.add_section(app, "home", "core/_new_members.html", views.new_members_section, order=90)
    ui.add_demo_seed(app, "people and clusters", demo.seed_people_and_clusters, order=10)
