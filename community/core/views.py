"""Home page for members, landing page for visitors."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import ui
from ..accounts.models import User
from ..caching import whole_page
from ..extensions import db
from . import bp, checklist


@bp.get("/")
@whole_page
def home():
    if not current_user.is_authenticated:
        return render_template("core/landing.html")
    sections = ui.sections(current_app, "home", current_user)
    return render_template("core/home.html", sections=sections)


@bp.post("/checklist/hide")
@login_required
def hide_checklist():
    checklist.hide(current_user)
    db.session.commit()
    flash("The getting-started checklist is hidden. Your profile and settings are in the menu.", "info")
    return redirect(url_for("core.home"))


@bp.get("/about")
@whole_page
def about():
    return render_template("core/about.html")


#: The home page's newest members with the count of all of them: built once (no parameters).
_NEW_MEMBERS = User.recent_members_and_total(limit=8)


def new_members_section(user):
    rows = db.session.execute(_NEW_MEMBERS).all()
    if not rows:
        return None
    return {"members": [row.User for row in rows], "total": rows[0].total}
