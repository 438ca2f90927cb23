"""Organizer pages of the library: curating the Linkages Toolkit (introductions, curators, order)."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import attempt
from ..extensions import db
from ..permissions import require
from ..vocabulary import TOOLKIT_AREAS
from . import services
from .forms import ToolkitAddForm, ToolkitAreaForm
from .models import ToolkitEntry

bp = Blueprint("resources_manage", __name__, url_prefix="/library/toolkit")


@bp.before_request
def _organizers_only():
    """The whole blueprint is for organizers: visitors sign in, members get 404."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    require("organize", status=404)


@bp.route("/<area_key>/manage", methods=["GET", "POST"])
def curate(area_key):
    if area_key not in dict(TOOLKIT_AREAS):
        abort(404)
    [(area, entries)] = services.toolkit(current_user, only=area_key)
    area_form = ToolkitAreaForm(obj=area, prefix="area")
    area_form.curator_id.choices = [(0, "CFPIC staff (no one named)")] + [
        (person.id, person.name) for person in services.curator_choices()]
    if request.method == "GET":
        area_form.curator_id.data = area.curator_id or 0
    add_form = ToolkitAddForm(prefix="add")
    add_form.resource_id.choices = [("", "Choose a resource")] + [
        (r.id, f"{r.title} ({r.meta_line})") for r in services.toolkit_candidates(current_user, entries)]
    action = request.form.get("action")
    if action == "describe" and area_form.validate_on_submit() and attempt(
            lambda: services.describe_area(area_key, current_user, area_form.introduction.data,
                                           area_form.curator_id.data or None, area_form.guard_confirmed),
            form=area_form, success=f"The {area.label} page is saved."):
        return redirect(url_for(".curate", area_key=area_key))
    if action == "add" and add_form.validate_on_submit():
        resource = services.get_resource_or_404(add_form.resource_id.data)
        if attempt(lambda: services.add_to_toolkit(area_key, resource, current_user), form=add_form,
                   field="resource_id", success=f"“{resource.title}” is added to {area.label}."):
            return redirect(url_for(".curate", area_key=area_key))
    status = 422 if area_form.errors or add_form.errors or area_form.guard_findings else 200
    return render_template("resources/curate.html", area=area, entries=entries, area_form=area_form,
                           add_form=add_form, findings=area_form.guard_findings), status


@bp.post("/entries/<int:entry_id>")
def change_entry(entry_id):
    """Move an entry up or down in its area, or take it out of the toolkit."""
    entry = db.session.get(ToolkitEntry, entry_id) or abort(404)
    area_key, action = entry.area_key, request.form.get("action")
    if action == "remove":
        attempt(lambda: services.remove_from_toolkit(entry, current_user),
                success="Removed from the toolkit (the resource stays in the library).")
    elif action in ("up", "down"):
        attempt(lambda: services.move_toolkit_entry(entry, current_user, -1 if action == "up" else 1))
    else:
        abort(400)
    return redirect(url_for(".curate", area_key=area_key))
