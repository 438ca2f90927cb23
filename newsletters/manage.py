"""Organizer pages: issues, the composer and its blocks, preview, sending, subscribers."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from community import guard, jobs
from community.csvexport import csv_response
from community.errors import attempt
from community.extensions import db
from community.mail import external_url
from community.permissions import require
from community.timeutil import from_pacific, to_pacific

from . import manage_bp as bp  # every route in this module is behind the guard below
from . import services
from .forms import BLOCK_FORMS, ImportForm, IssueForm, ScheduleForm
from .models import Block, Delivery, Issue, Subscriber
from .rendering import render_issue
from .views import email_html

SUBSCRIBERS_PER_PAGE = 50
FAILURES_PER_PAGE = 50


@bp.before_request
def _organizers_only():
    """The whole blueprint is for organizers: visitors sign in, members get 404."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    require("organize", status=404)


@bp.route("/newsletters/manage", methods=["GET", "POST"])
def manage():
    form = IssueForm()
    if form.validate_on_submit():
        try:
            issue = services.create_issue(current_user, form.subject.data, form.preheader.data,
                                          form.introduction.data, form.guard_confirmed,
                                          form.topic_names.data)
        except guard.GuardStopped as stopped:
            form.guard_findings = stopped.findings
        else:
            db.session.commit()
            flash("The draft is created. Add blocks below.", "success")
            return redirect(url_for(".manage_issue", issue_id=issue.id))
    issues = db.session.scalars(Issue.for_organizers().limit(100)).all()
    return render_template("newsletters/manage.html", form=form, issues=issues,
                           counts=Subscriber.count_by_status())


@bp.route("/newsletters/manage/<int:issue_id>", methods=["GET", "POST"])
def manage_issue(issue_id):
    issue = _issue_or_404(issue_id)
    if not issue.is_editable:
        return _progress_page(issue)
    form = IssueForm(obj=issue)
    if form.validate_on_submit() and attempt(lambda: services.update_issue(
            current_user, issue, form.subject.data, form.preheader.data, form.introduction.data,
            form.guard_confirmed, form.topic_names.data), form=form, success="The issue is saved."):
        return redirect(url_for(".manage_issue", issue_id=issue.id))
    schedule_form = ScheduleForm(formdata=None)
    if issue.scheduled_at:
        schedule_form.send_at.data = to_pacific(issue.scheduled_at).replace(tzinfo=None)
    return _compose_page(issue, form, schedule_form)


def _compose_page(issue, form, schedule_form):
    """The issue's composer; 422 when one of its forms was refused (it keeps what was typed)."""
    refused = request.method == "POST" and bool(form.errors or schedule_form.errors
                                                 or getattr(form, "guard_findings", None))
    return render_template("newsletters/compose.html", issue=issue, form=form,
                           schedule_form=schedule_form, kinds=Block.KINDS,
                           recipients=services.recipients_label(issue)), 422 if refused else 200


def _progress_page(issue):
    page = request.args.get("page", 1, type=int)
    failures = db.paginate(
        db.select(Delivery).where(Delivery.issue_id == issue.id, Delivery.status == "failed")
        .order_by(Delivery.id).options(db.joinedload(Delivery.subscriber)),
        page=page, per_page=FAILURES_PER_PAGE, error_out=False)
    return render_template("newsletters/progress.html", issue=issue,
                           progress=Delivery.progress(issue.id), failures=failures,
                           waiting_jobs=jobs.waiting_jobs() if issue.status == "sending" else 0)


@bp.route("/newsletters/manage/<int:issue_id>/blocks/new/<kind>", methods=["GET", "POST"])
@bp.route("/newsletters/manage/<int:issue_id>/blocks/<int:block_id>", methods=["GET", "POST"])
def manage_block(issue_id, kind=None, block_id=None):
    issue = _issue_or_404(issue_id)
    block = _block_or_404(issue, block_id) if block_id else None
    kind = block.kind if block else kind
    if kind not in BLOCK_FORMS or not issue.is_editable:
        abort(404)
    form = BLOCK_FORMS[kind](obj=block)
    if block is not None and request.method == "GET" and hasattr(form, "load"):
        form.load(block)
    picker, searching = None, False
    if kind == "highlights":  # searching (the picker's button without JavaScript) saves nothing
        picker = services.pick_threads(current_user, form.thread_ids.data or [],
                                       form.find.data or request.args.get("find", ""))
        searching = request.form.get("action") == "search"
    if not searching and form.validate_on_submit() and attempt(lambda: services.save_block(
            current_user, issue, kind, form.heading.data or "",
            getattr(form, "body", None) and form.body.data or "", form.settings(), block=block,
            confirmed=form.guard_confirmed), form=form,
            success=f"The {Block.KINDS[kind].lower()} block is saved."):
        return redirect(url_for(".manage_issue", issue_id=issue.id) + "#blocks")
    refused = request.method == "POST" and not searching  # saved ones were redirected
    return render_template("newsletters/block.html", issue=issue, block=block, kind=kind,
                           kind_label=Block.KINDS[kind], form=form, picker=picker), 422 if refused else 200


@bp.get("/newsletters/manage/threads.json")
def find_threads():
    """The highlights picker as it is typed in: public threads only."""
    picker = services.pick_threads(current_user, [], request.args.get("find", ""))
    return {"threads": picker.found, "problem": picker.problem}


@bp.post("/newsletters/manage/<int:issue_id>/blocks/<int:block_id>/move")
def move_block(issue_id, block_id):
    issue = _issue_or_404(issue_id)
    block = _block_or_404(issue, block_id)
    attempt(lambda: services.move_block(current_user, block,
                                        -1 if request.form.get("direction") == "up" else 1))
    return redirect(url_for(".manage_issue", issue_id=issue.id) + f"#block-{block.id}")


@bp.post("/newsletters/manage/<int:issue_id>/blocks/<int:block_id>/remove")
def remove_block(issue_id, block_id):
    issue = _issue_or_404(issue_id)
    block = _block_or_404(issue, block_id)
    attempt(lambda: services.remove_block(current_user, block), success="The block is removed.")
    return redirect(url_for(".manage_issue", issue_id=issue.id) + "#blocks")


@bp.get("/newsletters/manage/<int:issue_id>/preview")
def manage_preview(issue_id):
    issue = _issue_or_404(issue_id)
    html, text = _sample(render_issue(issue))
    return render_template("newsletters/preview.html", issue=issue, text=text,
                           frame_url=url_for(".manage_preview_html", issue_id=issue.id))


@bp.get("/newsletters/manage/<int:issue_id>/preview.html")
def manage_preview_html(issue_id):
    issue = _issue_or_404(issue_id)
    return email_html(_sample(render_issue(issue))[0])


def _sample(rendered):
    """The preview's recipient links lead to the subscription pages (there is no recipient)."""
    subscribe = external_url("newsletters.subscribe")
    return rendered.for_recipient(subscribe, subscribe)


@bp.post("/newsletters/manage/<int:issue_id>/test")
def manage_test_send(issue_id):
    issue = _issue_or_404(issue_id)
    attempt(lambda: services.send_test(current_user, issue),
            success=f"A test copy is on its way to {current_user.email}.")
    return redirect(url_for(".manage_preview", issue_id=issue.id))


@bp.post("/newsletters/manage/<int:issue_id>/schedule")
def manage_schedule(issue_id):
    issue = _issue_or_404(issue_id)
    form = ScheduleForm()
    if form.validate_on_submit() and attempt(
            lambda: services.schedule_issue(current_user, issue, from_pacific(form.send_at.data)),
            form=form, field="send_at", success="The issue is scheduled."):
        return redirect(url_for(".manage_issue", issue_id=issue.id))
    if not form.send_at.errors:
        form.send_at.errors = ["Choose the date and time to send."]
    if not issue.is_editable:  # sending already: its progress page has no composer
        flash(" ".join(form.send_at.errors), "error")
        return redirect(url_for(".manage_issue", issue_id=issue.id))
    # The composer again, with the time as typed and the reason beside it.
    return _compose_page(issue, IssueForm(formdata=None, obj=issue), form)


@bp.post("/newsletters/manage/<int:issue_id>/unschedule")
def manage_unschedule(issue_id):
    issue = _issue_or_404(issue_id)
    attempt(lambda: services.unschedule_issue(current_user, issue),
            success="The issue is back to draft; it will not be sent.")
    return redirect(url_for(".manage_issue", issue_id=issue.id))


@bp.post("/newsletters/manage/<int:issue_id>/send")
def manage_send(issue_id):
    issue = _issue_or_404(issue_id)
    if not request.form.get("confirmed"):  # without JavaScript, this page asks first
        return render_template(
            "core/confirm.html", title="Send this issue now?", action=request.path,
            question=f"This will e-mail {services.recipients_label(issue)}. "
                     f"Send “{issue.subject}” now?",
            button="Yes, send now", back=url_for(".manage_issue", issue_id=issue.id))
    attempt(lambda: services.send_issue_now(current_user, issue), success="Sending has started.")
    return redirect(url_for(".manage_issue", issue_id=issue.id))


@bp.get("/newsletters/manage/subscribers")
def manage_subscribers():
    text, status = request.args.get("q", "").strip(), request.args.get("status", "")
    if status not in Subscriber.STATUSES:
        status = ""
    page = request.args.get("page", 1, type=int)
    subscribers = db.paginate(Subscriber.search(text, status), page=page,
                              per_page=SUBSCRIBERS_PER_PAGE, error_out=False)
    return render_template("newsletters/subscribers.html", subscribers=subscribers, q=text,
                           status=status, counts=Subscriber.count_by_status())


@bp.route("/newsletters/manage/subscribers/import", methods=["GET", "POST"])
def manage_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        try:
            report = services.import_subscribers(current_user, form.file.data.read())
        except services.ImportRejected as rejected:
            db.session.rollback()
            report = rejected.report
        else:
            db.session.commit()
    return render_template("newsletters/import.html", form=form, report=report)


@bp.get("/newsletters/manage/subscribers.csv")
def manage_export():
    return csv_response("newsletter-subscribers.csv", services.export_subscribers_csv(current_user))


def _issue_or_404(issue_id):
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        abort(404)
    return issue


def _block_or_404(issue, block_id):
    block = db.session.get(Block, block_id)
    if block is None or block.issue_id != issue.id:
        abort(404)
    return block
