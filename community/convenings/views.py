"""Calendar pages, event pages, registration, personal feeds and the organizers' tools."""
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..accounts.services import county_choices
from ..caching import whole_page
from ..csvexport import csv_response
from ..errors import attempt
from ..extensions import db
from ..mail import external_url
from ..permissions import NotAllowed, can, get_or_404, require
from ..timeutil import to_pacific, utcnow
from ..vocabulary import EVENT_KINDS
from . import bp, services
from .calendar import build_calendar
from .forms import (EventForm, FeedbackForm, MaterialForm, OccurrenceForm, RecordingForm,
                    RegistrationForm, SessionForm)
from .models import Event, EventRegistration

UPCOMING_DAYS = 120
#: Occurrences per page of the upcoming list, and the last page one may ask for.
UPCOMING_PER_PAGE, UPCOMING_MAX_PAGE = 50, 40
ICS = "text/calendar; charset=utf-8"

def _filters():
    """(kind, cluster id, the filter menu's clusters, the calendar's version): the version is read
    once, for the menu and the listing both."""
    kinds = dict(EVENT_KINDS)
    kind = request.args.get("kind") if request.args.get("kind") in kinds else None
    cluster_id = request.args.get("cluster", type=int)
    version = services.events_version()
    return kind, cluster_id, services.active_clusters(version), version


@bp.get("/")
@whole_page
def upcoming():
    kind, cluster_id, clusters, version = _filters()
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= UPCOMING_MAX_PAGE:
        abort(404)
    now = utcnow()
    shown = page * UPCOMING_PER_PAGE
    listing, found = services.kept_occurrences(current_user, now, now + timedelta(days=UPCOMING_DAYS),
                                               kind=kind, cluster_id=cluster_id, limit=shown + 1,
                                               version=version)
    occurrences = found[shown - UPCOMING_PER_PAGE:shown]
    if page > 1 and not occurrences:
        abort(404)
    mine = _my_registrations(occurrences)
    items = services.listing_html(listing, ("upcoming", page), mine, lambda: render_template(
        "convenings/_upcoming_items.html", occurrences=occurrences, mine=mine))
    return render_template("convenings/upcoming.html", items=Markup(items), kind=kind,
                           cluster_id=cluster_id, clusters=clusters, kinds=EVENT_KINDS, page=page,
                           has_later=len(found) > shown)


@bp.get("/month")
@bp.get("/month/<int:year>-<int:month>")
@whole_page
def month(year=None, month=None):
    today = to_pacific(utcnow()).date()
    year, month = (today.year, today.month) if year is None else (year, month)
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        abort(404)
    kind, cluster_id, clusters, version = _filters()
    first, previous, following, start, end = services.month_window(year, month)
    listing, occurrences = services.kept_occurrences(current_user, start, end, kind=kind, cluster_id=cluster_id,
                                                     version=version)
    mine = _my_registrations(occurrences)
    grid = services.listing_html(listing, ("month", year, month), mine, lambda: render_template(
        "convenings/_month_grid.html", weeks=services.month_weeks(year, month, occurrences), first=first,
        today=today, mine=mine, paths=_event_paths(occurrences)))
    return render_template("convenings/month.html", grid=Markup(grid), first=first, previous=previous,
                           following=following, kind=kind, cluster_id=cluster_id, clusters=clusters,
                           kinds=EVENT_KINDS)


def _event_paths(occurrences):
    """{event id: event page path} for a calendar: `url_for` once, the ids substituted after
    (a `url_for` per grid entry was a tenth of the month page's time)."""
    marker = 987654321
    pattern = url_for("convenings.event_page", event_id=marker)
    return {o.event.id: pattern.replace(str(marker), str(o.event.id)) for o in occurrences}


def _my_registrations(occurrences):
    return services.registration_marks(current_user, {o.event.id for o in occurrences})


@bp.get("/<int:event_id>")
def event_page(event_id):
    event = get_or_404(Event, event_id)
    registration = _registration(event)
    return render_template("convenings/event.html", event=event, registration=registration,
                           **services.event_page_facts(event, current_user, registration))


def _registration(event):
    return services.registrations_of(current_user, {event.id}).get(event.id)


@bp.get("/<int:event_id>/event.ics")
def event_ics(event_id):
    event = get_or_404(Event, event_id)
    join = {event.id} if services.may_join(event, current_user, _registration(event)) else set()
    return _ics_response(build_calendar([event], join_for=join), f"event-{event.id}.ics")


@bp.get("/calendar.ics")
def public_feed():
    return _feed_response(*services.feed_calendar())


@bp.get("/feed/<token>.ics")
def personal_feed(token):
    person = services.person_for_token(token)
    if person is None:
        abort(404)
    return _feed_response(*services.feed_calendar(person))


def _feed_response(etag, body):
    """A feed with an ETag, so calendar apps that poll get 304 Not Modified until it changes."""
    response = _ics_response(body)
    response.set_etag(etag)
    return response.make_conditional(request)


def _ics_response(body, filename=None):
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS
    response.headers["Cache-Control"] = "private, max-age=300"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- registration

REGISTERED_MESSAGES = {
    "registered": "You are registered. A confirmation with a calendar invitation is on its way.",
    "waitlisted": "The event is full: you are on the waitlist. We will e-mail you if a seat opens.",
    "pending": "Thank you. An organizer will confirm your registration.",
}


@bp.route("/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id):
    event = get_or_404(Event, event_id)
    registration = _registration(event)
    if registration is not None and registration.is_active:
        if request.method == "POST":  # a second click after the first one went through
            flash(REGISTERED_MESSAGES[registration.status], "success")
            return redirect(url_for(".event_page", event_id=event.id))
        return redirect(url_for(".edit_registration", registration_id=registration.id))
    form = RegistrationForm(county_id=current_user.county_id, program=current_user.program)
    form.offer(event, county_choices())
    if form.validate_on_submit() and attempt(
            lambda: services.register(event, current_user, form.answers()), form=form,
            success=lambda registration: REGISTERED_MESSAGES[registration.status]):
        return redirect(url_for(".event_page", event_id=event.id))
    return render_template("convenings/register.html", event=event, form=form, registration=None)


@bp.route("/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def edit_registration(registration_id):
    registration = _own_registration(registration_id)
    event = registration.event
    form = RegistrationForm(obj=registration, session_ids=[c.session_id for c in registration.choices])
    form.offer(event, county_choices())
    if form.validate_on_submit() and attempt(
            lambda: services.update_answers(registration, current_user, form.answers()), form=form,
            success="Your registration is updated."):
        return redirect(url_for(".my_registrations"))
    return render_template("convenings/register.html", event=event, form=form, registration=registration)


@bp.post("/registrations/<int:registration_id>/cancel")
@login_required
def cancel_registration(registration_id):
    registration = db.session.get(EventRegistration, registration_id)
    if registration is None or not can(current_user, "view", registration.event):
        abort(404)
    try:
        waiting = services.waiting_for_seat(registration, current_user)
        if waiting and not request.form.get("confirmed"):
            return _confirm_cancel_registration(registration, waiting)
        whose = "Your" if registration.user_id == current_user.id else f"{registration.user.name}'s"
        attempt(lambda: services.cancel_registration(registration, current_user),
                success=f"{whose} registration for {registration.event.title} is cancelled.")
    except NotAllowed:
        abort(404)
    return redirect(request.form.get("next") == "registrants"
                    and url_for(".registrants", event_id=registration.event_id)
                    or url_for(".my_registrations"))


def _confirm_cancel_registration(registration, waiting):
    own = registration.user_id == current_user.id
    people = "1 person is" if waiting == 1 else f"{waiting} people are"
    whose = "your" if own else f"{registration.user.name}'s"
    fields = {"next": request.form["next"]} if request.form.get("next") == "registrants" else {}
    return render_template(
        "core/confirm.html", title="Cancel the registration?", action=request.path, fields=fields,
        question=f"Cancel {whose} registration for {registration.event.title}? {people} waiting "
                 f"for a seat: the first gets it at once, so it cannot be taken back.",
        button="Yes, cancel and give up the seat",
        back=url_for(".registrants", event_id=registration.event_id) if fields
        else url_for(".event_page", event_id=registration.event_id))


def _own_registration(registration_id):
    registration = db.session.get(EventRegistration, registration_id)
    if (registration is None or registration.user_id != current_user.id or not registration.is_active
            or not can(current_user, "view", registration.event)):
        abort(404)
    return registration


@bp.get("/mine")
@login_required
def my_registrations():
    now = utcnow()
    upcoming, past = services.upcoming_and_past(services.own_registrations(current_user), now)
    token = services.calendar_token(current_user)
    db.session.commit()
    feed = external_url("convenings.personal_feed", token=token.token)
    return render_template("convenings/mine.html", upcoming=upcoming, past=past, feed_url=feed,
                           webcal_url="webcal://" + feed.split("://", 1)[1],
                           public_feed=external_url("convenings.public_feed"), now=now)


@bp.post("/feed/regenerate")
@login_required
def regenerate_feed():
    attempt(lambda: services.calendar_token(current_user, regenerate=True),
            success="Your calendar feed has a new address. The old one no longer works: subscribe again.")
    return redirect(url_for(".my_registrations"))


@bp.route("/<int:event_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback(event_id):
    event = get_or_404(Event, event_id)
    form = FeedbackForm(obj=services.feedback_of(event, current_user))
    if form.validate_on_submit() and attempt(
            lambda: services.submit_feedback(event, current_user, form.rating.data, form.useful.data,
                                             form.comment.data, form.guard_confirmed), form=form,
            success="Thank you for your feedback."):
        return redirect(url_for(".event_page", event_id=event.id))
    return render_template("convenings/feedback.html", event=event, form=form)


# ---------------------------------------------------------------- organizers

def _managed(event_id):
    return get_or_404(Event, event_id, action="edit")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create_event():
    require("organize")
    form = EventForm(organizer_ids=[current_user.id])
    return _event_form(form, None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id):
    event = _managed(event_id)
    form = EventForm.for_event(event)
    if request.method == "GET":
        form.remember_shown()
    return _event_form(form, event)


def _event_form(form, event):
    form.cluster_id.choices = [("", "No cluster")] + [
        (c.id, c.name) for c in services.active_clusters()]
    organizers = services.organizer_choices()
    form.organizer_ids.choices = [(u.id, u.name) for u in organizers]
    if form.validate_on_submit():
        fields = form.event_fields()
        chosen = [u for u in organizers if u.id in set(form.organizer_ids.data or ())]

        def save():
            if event is None:
                return services.create_event(current_user, organizers=chosen,
                                             confirmed=form.guard_confirmed, **fields)
            changed = form.changed_values()  # what someone else saved meanwhile, elsewhere, stays
            organizers = chosen if changed.pop("organizer_ids", None) is not None else None
            return services.update_event(event, current_user, confirmed=form.guard_confirmed,
                                         organizers=organizers, **changed)

        saved = attempt(save, form=form, success=lambda saved: "The event is saved."
                        + (" It is a draft until you publish it." if saved.is_draft else ""))
        if saved:
            return redirect(url_for(".event_page", event_id=saved.result.id))
    return render_template("convenings/edit_event.html", form=form, event=event)


@bp.post("/<int:event_id>/publish")
@login_required
def publish(event_id):
    return _event_action(event_id, services.publish_event, "The event is published.")


@bp.post("/<int:event_id>/cancel")
@login_required
def cancel(event_id):
    event = _managed(event_id)
    if not request.form.get("confirmed"):
        told = services.people_told_of_cancellation(event, current_user)
        return render_template(
            "core/confirm.html", title="Cancel the event?", action=request.path,
            question=f"Cancel {event.title}? {'1 person' if told == 1 else f'{told} people'} who signed up "
                     "will be e-mailed and their calendar entries removed. This cannot be undone.",
            button="Yes, cancel the event", back=url_for(".event_page", event_id=event.id))
    return _event_action(event_id, services.cancel_event,
                         "The event is cancelled; registrants are told and their calendars updated.")


def _event_action(event_id, action, message):
    event = _managed(event_id)
    attempt(lambda: action(event, current_user), success=message)
    return redirect(url_for(".event_page", event_id=event.id))


@bp.route("/<int:event_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/<int:event_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def edit_session(event_id, session_id=None):
    event = _managed(event_id)
    session = None
    if session_id is not None:
        session = services.session_of(event, session_id) or abort(404)
    form = SessionForm.for_session(event, session)
    form.speaker_id.choices = [("", "None")] + [(u.id, u.name) for u in services.speaker_choices()]
    if form.validate_on_submit() and attempt(lambda: services.save_session(
            event, current_user, session, confirmed=form.guard_confirmed, **form.session_fields()),
            form=form, success="The session is saved."):
        return redirect(url_for(".event_page", event_id=event.id) + "#agenda")
    return render_template("convenings/edit_session.html", form=form, event=event, session=session)


@bp.post("/<int:event_id>/sessions/<int:session_id>/delete")
@login_required
def delete_session(event_id, session_id):
    event = _managed(event_id)
    session = services.session_of(event, session_id) or abort(404)
    attempt(lambda: services.delete_session(session, current_user),
            success="The session is removed from the agenda.")
    return redirect(url_for(".event_page", event_id=event.id) + "#agenda")


@bp.route("/<int:event_id>/occurrences", methods=["GET", "POST"])
@login_required
def occurrences(event_id):
    event = _managed(event_id)
    if not event.rrule:
        abort(404)
    now = utcnow()
    upcoming = event.occurrences(now - timedelta(days=31), now + timedelta(days=366))
    form = OccurrenceForm()
    form.offer(upcoming)
    if form.validate_on_submit() and attempt(
            lambda: services.change_occurrence(event, current_user, **form.change()),
            form=form, success="The occurrence is changed; registrants are told."):
        return redirect(url_for(".occurrences", event_id=event.id))
    return render_template("convenings/occurrences.html", event=event, form=form, upcoming=upcoming)


@bp.get("/<int:event_id>/registrants")
@login_required
def registrants(event_id):
    event = _managed(event_id)
    registrations = services.registrations_for(event)
    counts = services.registration_counts(event.id)
    attended = sum(1 for r in registrations if r.checked_in_at)
    return render_template("convenings/registrants.html", event=event, registrations=registrations,
                           counts=counts, attended=attended,
                           choice_sessions=[s for s in event.sessions if s.needs_choice])


@bp.get("/<int:event_id>/registrants.csv")
@login_required
def registrants_csv(event_id):
    event = _managed(event_id)
    body = services.registrants_csv(event, services.registrations_for(event))
    return csv_response(f"event-{event.id}-registrants.csv", body, bom=True)


@bp.post("/registrations/<int:registration_id>/decide")
@login_required
def decide(registration_id):
    registration = db.session.get(EventRegistration, registration_id) or abort(404)
    _managed(registration.event_id)
    attempt(lambda: services.decide_registration(registration, current_user,
                                                 request.form.get("decision") == "approve"),
            success=lambda _: f"{registration.user.name}: {registration.status}.")
    return redirect(url_for(".registrants", event_id=registration.event_id))


@bp.get("/<int:event_id>/check-in")
@login_required
def check_in_page(event_id):
    event = _managed(event_id)
    query = request.args.get("q", "").strip().lower()
    registrations, present, registered = services.check_in_list(event, query)
    return render_template("convenings/check_in.html", event=event, registrations=registrations,
                           present=present, registered=registered, query=query)


@bp.post("/registrations/<int:registration_id>/check-in")
@login_required
def check_in(registration_id):
    registration = db.session.get(EventRegistration, registration_id) or abort(404)
    _managed(registration.event_id)
    attempt(lambda: services.check_in(registration, current_user,
                                      present=request.form.get("present") == "1"))
    return redirect(url_for(".check_in_page", event_id=registration.event_id, q=request.form.get("q") or None)
                    + f"#r{registration.id}")


@bp.route("/<int:event_id>/materials", methods=["GET", "POST"])
@login_required
def materials(event_id):
    event = _managed(event_id)
    material_form = MaterialForm(prefix="material")
    material_form.session_id.choices = [("", "The whole event")] + [(s.id, s.title) for s in event.sessions]
    recording_form = RecordingForm(prefix="recording", obj=event)
    if request.method == "POST" and "material-title" in request.form and material_form.validate() and attempt(
            lambda: services.add_material(event, current_user, material_form.title.data.strip(),
                                          material_form.url.data, material_form.session_id.data),
            form=material_form, field="url", success="The material is published on the event page."):
        return redirect(url_for(".materials", event_id=event.id))
    if request.method == "POST" and "recording-recording_url" in request.form and recording_form.validate() \
            and attempt(lambda: services.set_recording(event, current_user, recording_form.recording_url.data,
                                                       recording_form.feedback_open.data),
                        form=recording_form, field="recording_url",
                        success="The recording and feedback settings are saved."):
        return redirect(url_for(".materials", event_id=event.id))
    refused = request.method == "POST"  # saved ones were redirected
    return render_template("convenings/materials.html", event=event, material_form=material_form,
                           recording_form=recording_form), 422 if refused else 200


@bp.get("/<int:event_id>/feedback/results")
@login_required
def feedback_results(event_id):
    event = _managed(event_id)
    return render_template("convenings/feedback_results.html", event=event,
                           summary=services.feedback_summary(event))

