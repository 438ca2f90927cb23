"""Administration of accounts: requests, invitations, roles, deactivation and the audit log."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from .. import audit, content
from ..extensions import db
from ..permissions import require
from ..security import safe_referrer
from . import admin_bp as bp, services
from .forms import ConfirmForm, CountyForm, DeclineForm, InviteForm, RoleForm
from .models import User

STATUS_TABS = [("pending", "Waiting for approval"), ("active", "Active"),
               ("invited", "Invited"), ("deactivated", "Deactivated"), ("declined", "Declined")]


@bp.before_request
@login_required
def _admins_only():
    require("admin")


@bp.get("/people")
def people():
    status = request.args.get("status", "pending")
    if status not in dict(STATUS_TABS):
        status = "pending"
    q = request.args.get("q", "").strip()
    query = select(User).where(User.status == status).order_by(User.created_at.desc())
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    users = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50,
                        error_out=False)
    counts = dict(db.session.execute(select(User.status, func.count()).group_by(User.status)).all())
    return render_template("admin/people.html", users=users, status=status, tabs=STATUS_TABS,
                           counts=counts, q=q, role_form=RoleForm(), confirm=ConfirmForm(),
                           counties=services.county_choices("No county") if status in ("active", "invited") else (),
                           decline_form=DeclineForm())


def _act(user_id, action, message, form_class=ConfirmForm, **kwargs):
    """Run one admin service on a person and return to the list."""
    user = db.get_or_404(User, user_id)
    form = form_class()
    if not form.validate_on_submit():
        # A field's own message (a reason too long, a county not on the list); a missing or
        # stale CSRF token has no field to name.
        errors = [message for name, messages in form.errors.items() if name != "csrf_token"
                  for message in messages]
        flash(errors[0] if errors else "That form could not be read. Please try again.", "error")
    else:
        extra = {name: getattr(form, name).data for name in kwargs.get("fields", ())}
        try:
            action(current_user, user, **extra)
        except (services.AccountError, services.NotAllowed) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(message.format(name=user.name), "success")
    return redirect(safe_referrer(url_for(".people")))


@bp.post("/people/<int:user_id>/approve")
def approve(user_id):
    return _act(user_id, services.approve_request, "{name} is approved and was sent a link to set a password.")


@bp.post("/people/<int:user_id>/decline")
def decline(user_id):
    return _act(user_id, services.decline_request, "{name}'s request is declined.",
                form_class=DeclineForm, fields=("reason",))


@bp.post("/people/<int:user_id>/deactivate")
def deactivate(user_id):
    return _act(user_id, services.deactivate, "{name} is deactivated and signed out.")


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id):
    return _act(user_id, services.reactivate, "{name} is active again.")


@bp.post("/people/<int:user_id>/role")
def change_role(user_id):
    return _act(user_id, services.change_role, "{name}'s role is saved.",
                form_class=RoleForm, fields=("role",))


def _county_form():
    form = CountyForm()
    form.county_id.choices = services.county_choices("No county")
    return form


@bp.post("/people/<int:user_id>/county")
def change_county(user_id):
    return _act(user_id, services.change_county, "{name}'s county is saved.",
                form_class=_county_form, fields=("county_id",))


@bp.route("/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    form.county_id.choices = services.county_choices("No county")
    if form.validate_on_submit():
        try:
            user = services.invite_user(current_user, form.email.data, form.name.data,
                                        form.role.data, form.county_id.data, form.program.data,
                                        form.title.data or "")
        except services.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"An invitation is on its way to {user.email}.", "success")
            return redirect(url_for(".people", status="invited"))
    return render_template("admin/invite.html", form=form)


@bp.get("/audit")
def audit_log():
    require("view_audit_log")
    chosen = {key: request.args.get(key, "").strip()[:80] for key in ("area", "action", "actor")}
    entries = db.paginate(audit.entries(**chosen), page=request.args.get("page", 1, type=int),
                          per_page=50, error_out=False)
    # Entries keep ids, not copies of content: areas name their targets as they are now.
    targets = {}
    for found in content.provide_all("audit.targets", [(e.target_type, e.target_id)
                                                        for e in entries.items], current_user):
        targets.update(found)
    return render_template("admin/audit.html", entries=entries, targets=targets, chosen=chosen,
                           areas=sorted(audit.AREA_LABELS.items(), key=lambda pair: pair[1]),
                           actions=audit.action_choices(), action_label=audit.action_label)
