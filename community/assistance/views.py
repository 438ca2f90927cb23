"""Technical-assistance pages: a county's requests, asking, one request's page, CFPIC's dashboard."""
from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ..charts import Bar, bar_chart
from ..errors import attempt
from ..extensions import db
from ..permissions import can, require
from ..resources import files
from ..timeutil import to_pacific
from . import bp, services
from .forms import AskForm, AttachForm, FileForm, NoteForm, ReleaseForm, TriageForm
from .models import STATUSES, AssistanceAttachment, AssistanceRequest


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
            confirmed=form.guard_confirmed, upload=form.file.data or None), form=form,
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
    file_form = FileForm(prefix="file")
    triage_form = TriageForm(prefix="triage", obj=found) if triaging else None
    if triage_form is not None:
        triage_form.assignee_id.choices = services.staff_choices()
        if request.method == "GET":
            triage_form.assignee_id.data = found.assignee_id or 0
            triage_form.scheduled_at.data = to_pacific(found.scheduled_at).replace(tzinfo=None) \
                if found.scheduled_at else None
            triage_form.remember_shown()
    action = request.form.get("form")
    if action == "note" and note_form.validate_on_submit():
        if attempt(lambda: services.add_note(found, current_user, note_form.body.data, shared=note_form.shared.data,
                                             confirmed=note_form.guard_confirmed), form=note_form, success="Note added."):
            return redirect(url_for(".show", request_id=found.id) + "#notes")
    elif action == "triage" and triage_form is not None and triage_form.validate_on_submit():
        changed = triage_form.changed_values()  # another organizer's save meanwhile, elsewhere, stays
        if attempt(lambda: services.triage(found, current_user, **changed), form=triage_form,
                success="Saved. The county is told about the change."):
            return redirect(url_for(".show", request_id=found.id))
    elif action == "attach" and triaging and attach_form.validate_on_submit():
        if attempt(lambda: services.attach_resource(found, current_user, attach_form.address.data),
                   form=attach_form, success="Resource attached."):
            return redirect(url_for(".show", request_id=found.id) + "#resources")
    elif action == "file" and file_form.validate_on_submit():
        if attempt(lambda: services.attach_file(found, current_user, file_form.file.data), form=file_form,
                   success="File added."):
            return redirect(url_for(".show", request_id=found.id) + "#files")
    elif action == "release" and ReleaseForm(prefix="release").validate_on_submit():
        held = _attachment_or_404(found, request.form.get("attachment", type=int))
        if attempt(lambda: services.release_attachment(held, current_user), success="The file is released."):
            return redirect(url_for(".show", request_id=found.id) + "#files")
    elif request.method == "POST" and action not in ("note", "triage", "attach", "file", "release"):
        abort(400)
    forms = [f for f in (note_form, attach_form, triage_form, file_form) if f is not None]
    refused = any(f.errors or getattr(f, "guard_findings", ()) for f in forms)
    status = 422 if request.method == "POST" and refused else 200
    return render_template("assistance/show.html", found=found, triaging=triaging, note_form=note_form,
                           attach_form=attach_form, triage_form=triage_form, file_form=file_form,
                           attachments=[(a, services.may_open(a, current_user)) for a in found.attachments],
                           notes=services.notes_for(found, current_user),
                           cards=services.cards_for(found, current_user)), status


def _attachment_or_404(found, attachment_id):
    attachment = db.session.get(AssistanceAttachment, attachment_id) if attachment_id else None
    if attachment is None or attachment.request_id != found.id or not services.may_open(attachment, current_user):
        abort(404)
    return attachment


@bp.get("/<int:request_id>/files/<int:attachment_id>")
def download(request_id, attachment_id):
    """A request's file, for its participants only (404 for everyone else, signed in or not)."""
    attachment = _attachment_or_404(_request_or_404(request_id), attachment_id)
    kept = files.store()
    if not kept.exists(attachment.stored_name):
        abort(404)
    response = send_file(kept.open(attachment.stored_name), mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, conditional=False, etag=attachment.sha256,
                         max_age=0)
    response.content_length = kept.size(attachment.stored_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
