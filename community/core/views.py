"""Home page for members, landing page for visitors."""
from flask import current_app, render_template
from flask_login import current_user

from .. import ui
from ..accounts.models import User
from ..extensions import db
from . import bp


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("core/landing.html")
    sections = ui.sections(current_app, "home", current_user)
    return render_template("core/home.html", sections=sections)


@bp.get("/about")
def about():
    return render_template("core/about.html")


def new_members_section(user):
    members = db.session.scalars(User.recent_members(limit=8)).all()
    if not members:
        return None
    return {"members": members, "total": db.session.scalar(User.count_active())}
