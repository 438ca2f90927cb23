"""Technical-assistance pages: a county's requests, asking, one request's page, CFPIC's dashboard."""
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..charts import Bar, bar_chart
from ..errors import attempt
from ..extensions import db
from ..permissions import can, require
from ..timeutil import from_pacific, to_pacific
from . import bp, services
from .forms import AskForm, AttachForm, NoteForm, TriageForm
from .models import STATUSES, AssistanceRequest


def _request_or_404(request_id):
    found = db.session.get(AssistanceRequest, request_id)
    if found is None or not can(current_user, "view", found):
        abort(404)
    return found


@bp.get("/")
@login_required
def index():
    status = request.args.get("status", "")
    query = services.visible_requests(current_user)
    if status in dict(STATUSES):
        query = query.where(AssistanceRequest.status == status)
    requests = db.session.scalars(query.limit(200)).all()
    return render_template("assistance/index.html", requests=requests, status=status, statuses=STATUSES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def ask():
    if current_user.county_id is None:
        abort(404)
    form = AskForm()
    if form.validate_on_submit():
        made = attempt(lambda: services.ask_for_help(current_user, services.Ask(
            topic=form.topic.data, details=form.details.data, toolkit_area=form.toolkit_area.data,
            strategy=form.strategy.data, urgency=form.urgency.data, preferred_format=form.preferred_format.data),
            confirmed=form.guard_confirmed), form=form,
            success="Your request is with CFPIC. You will get an e-mail each time something changes.")
        if made:
            return redirect(url_for(".show", request_id=made.result.id))
    refused = form.errors or form.guard_findings
    return render_template("assistance/ask.html", form=form), 422 if refused else 200


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@login_required
def show(request_id):
    found = _request_or_404(request_id)
    triaging = can(current_user, "triage", found)
    note_form, attach_form = NoteForm(prefix="note"), AttachForm(prefix="attach")
    triage_form = TriageForm(prefix="triage", obj=found) if triaging else None
    if triage_form is not None:
        triage_form.assignee_id.choices = services.staff_choices()
        if request.method == "GET":
            triage_form.assignee_id.data = found.assignee_id or 0
            triage_form.scheduled_at.data = to_pacific(found.scheduled_at).replace(tzinfo=None) \
                if found.scheduled_at else None
    action = request.form.get("form")
    if action == "note" and note_form.validate_on_submit():
        if attempt(lambda: services.add_note(found, current_user, note_form.body.data, shared=note_form.shared.data,
                                             confirmed=note_form.guard_confirmed), form=note_form, success="Note added."):
            return redirect(url_for(".show", request_id=found.id) + "#notes")
    elif action == "triage" and triage_form is not None and triage_form.validate_on_submit():
        when = from_pacific(triage_form.scheduled_at.data) if triage_form.scheduled_at.data else None
        if attempt(lambda: services.triage(
                found, current_user, status=triage_form.status.data, assignee_id=triage_form.assignee_id.data,
                scheduled_at=when, meeting_link=triage_form.meeting_link.data), form=triage_form,
                success="Saved. The county is told about the change."):
            return redirect(url_for(".show", request_id=found.id))
    elif action == "attach" and triaging and attach_form.validate_on_submit():
        if attempt(lambda: services.attach_resource(found, current_user, attach_form.address.data),
                   form=attach_form, success="Resource attached."):
            return redirect(url_for(".show", request_id=found.id) + "#resources")
    elif request.method == "POST" and action not in ("note", "triage", "attach"):
        abort(400)
    forms = [f for f in (note_form, attach_form, triage_form) if f is not None]
    refused = any(f.errors or getattr(f, "guard_findings", ()) for f in forms)
    status = 422 if request.method == "POST" and refused else 200
    return render_template("assistance/show.html", found=found, triaging=triaging, note_form=note_form,
                           attach_form=attach_form, triage_form=triage_form,
                           notes=services.notes_for(found, current_user),
                           cards=services.cards_for(found, current_user)), status


@bp.get("/dashboard")
@login_required
def dashboard():
    require("organize", status=404)
    shown = services.dashboard()
    total = sum(n for _, n in shown.asked_by_area) or 1
    chart = bar_chart("asked-by-area", "Toolkit areas counties asked about most",
                      [Bar(label, n, 100.0 * n / total) for label, n in shown.asked_by_area]) \
        if shown.asked_by_area else None
    return render_template("assistance/dashboard.html", shown=shown, chart=chart)
