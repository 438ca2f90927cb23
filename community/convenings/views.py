"""Calendar pages, event pages, registration, personal feeds and the organizers' tools."""
from datetime import date, datetime, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.services import county_choices
from ..clusters.models import Cluster
from ..csvexport import csv_response
from ..errors import attempt
from ..extensions import db
from ..mail import external_url
from ..permissions import NotAllowed, can, get_or_404, require
from ..timeutil import from_pacific, to_pacific, utcnow
from ..vocabulary import EVENT_KINDS
from . import bp, services
from .calendar import build_calendar
from .forms import (EventForm, FeedbackForm, MaterialForm, OccurrenceForm, RecordingForm,
                    RegistrationForm, SessionForm)
from .models import (Event, EventFeedback, EventRegistration, EventSession,
                     EventSessionChoice)

UPCOMING_DAYS = 120
#: Occurrences per page of the upcoming list, and the last page one may ask for.
UPCOMING_PER_PAGE, UPCOMING_MAX_PAGE = 50, 40
ICS = "text/calendar; charset=utf-8"

def _filters():
    kinds = dict(EVENT_KINDS)
    kind = request.args.get("kind") if request.args.get("kind") in kinds else None
    cluster_id = request.args.get("cluster", type=int)
    clusters = db.session.scalars(Cluster.active()).all()
    return kind, cluster_id, clusters


@bp.get("/")
def upcoming():
    kind, cluster_id, clusters = _filters()
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= UPCOMING_MAX_PAGE:
        abort(404)
    now = utcnow()
    shown = page * UPCOMING_PER_PAGE
    found = services.occurrences_for(current_user, now, now + timedelta(days=UPCOMING_DAYS),
                                     kind=kind, cluster_id=cluster_id, limit=shown + 1)
    occurrences = found[shown - UPCOMING_PER_PAGE:shown]
    if page > 1 and not occurrences:
        abort(404)
    mine = _my_registrations(occurrences)
    return render_template("convenings/upcoming.html", occurrences=occurrences, mine=mine, kind=kind,
                           cluster_id=cluster_id, clusters=clusters, kinds=EVENT_KINDS, page=page,
                           has_later=len(found) > shown)


@bp.get("/month")
@bp.get("/month/<int:year>-<int:month>")
def month(year=None, month=None):
    today = to_pacific(utcnow()).date()
    year, month = year or today.year, month or today.month
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        abort(404)
    kind, cluster_id, clusters = _filters()
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = from_pacific(datetime.combine(first - timedelta(days=7), datetime.min.time()))
    end = from_pacific(datetime.combine(following + timedelta(days=7), datetime.min.time()))
    occurrences = services.occurrences_for(current_user, start, end, kind=kind, cluster_id=cluster_id)
    previous = (first - timedelta(days=1)).replace(day=1)
    return render_template("convenings/month.html", weeks=services.month_weeks(year, month, occurrences),
                           first=first, previous=previous, following=following, today=today,
                           mine=_my_registrations(occurrences), paths=_event_paths(occurrences), kind=kind,
                           cluster_id=cluster_id, clusters=clusters, kinds=EVENT_KINDS)


def _event_paths(occurrences):
    """{event id: event page path} for a calendar: `url_for` once, the ids substituted after
    (a `url_for` per grid entry was a tenth of the month page's time)."""
    marker = 987654321
    pattern = url_for("convenings.event_page", event_id=marker)
    return {o.event.id: pattern.replace(str(marker), str(o.event.id)) for o in occurrences}


def _my_registrations(occurrences):
    if not current_user.is_authenticated:
        return {}
    return services.registrations_of(current_user, {o.event.id for o in occurrences})


@bp.get("/<int:event_id>")
def event_page(event_id):
    event = get_or_404(Event, event_id)
    registration = _registration(event)
    now = utcnow()
    return render_template(
        "convenings/event.html", event=event, registration=registration,
        agenda=services.agenda_of(event), summary_html=services.render_markdown(event.summary),
        show_join=services.may_join(event, current_user, registration),
        upcoming=event.occurrences(now, now + timedelta(days=200))[:6] if event.rrule else [],
        registration_open=event.status == "published" and event.registration_enabled
        and event.registration_window_open(),
        counts=services.registration_counts(event.id) if event.capacity else {},
        is_past=event.end_at < now and not event.rrule, can_edit=can(current_user, "edit", event),
        participants=_participants(event), waiting=_waiting(registration),
        told_of_cancellation=services.people_told_of_cancellation(event, current_user)
        if can(current_user, "edit", event) and not event.is_cancelled else 0)


def _waiting(registration):
    if registration is None or not registration.is_active:
        return 0
    return services.waiting_for_seat(registration, current_user)


def _participants(event):
    if not current_user.is_authenticated:
        return []
    return db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id,
                                        EventRegistration.status == "registered",
                                        EventRegistration.show_name.is_(True))
        .order_by(EventRegistration.arrival)).all()


def _registration(event):
    if not current_user.is_authenticated:
        return None
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
    _registration_choices(form, event)
    if form.validate_on_submit():
        if attempt(lambda: services.register(event, current_user, _answers(form)), form=form,
                   success=lambda registration: REGISTERED_MESSAGES[registration.status]):
            return redirect(url_for(".event_page", event_id=event.id))
    return render_template("convenings/register.html", event=event, form=form, registration=None)


@bp.route("/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def edit_registration(registration_id):
    registration = _own_registration(registration_id)
    event = registration.event
    form = RegistrationForm(obj=registration, session_ids=[c.session_id for c in registration.choices])
    _registration_choices(form, event)
    if form.validate_on_submit() and attempt(
            lambda: services.update_answers(registration, current_user, _answers(form)), form=form,
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
        attempt(lambda: services.cancel_registration(registration, current_user),
                success=f"Your registration for {registration.event.title} is cancelled.")
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


def _registration_choices(form, event):
    form.county_id.choices = [("", "No county (state or partner)")] + [
        (value, label) for value, label in county_choices() if value]
    form.session_ids.choices = [
        (s.id, f"{s.title} — {to_pacific(s.start_at):%a %-I:%M %p}{' · ' + s.room if s.room else ''}")
        for s in event.sessions if s.needs_choice]


def _answers(form):
    return services.Answers(county_id=form.county_id.data, program=form.program.data,
                            dietary_needs=form.dietary_needs.data,
                            accessibility_needs=form.accessibility_needs.data,
                            show_name=form.show_name.data, session_ids=tuple(form.session_ids.data or ()),
                            confirmed=form.guard_confirmed)


@bp.get("/mine")
@login_required
def my_registrations():
    registrations = services.own_registrations(current_user)
    now = utcnow()
    upcoming = [r for r in registrations if r.is_active and r.event.next_occurrence(now)]
    past = [r for r in registrations if r not in upcoming]
    token = services.calendar_token(current_user)
    db.session.commit()
    feed = external_url("convenings.personal_feed", token=token.token)
    return render_template("convenings/mine.html", upcoming=upcoming, past=past, feed_url=feed,
                           webcal_url="webcal://" + feed.split("://", 1)[1],
                           public_feed=external_url("convenings.public_feed"), now=now)


@bp.post("/feed/regenerate")
@login_required
def regenerate_feed():
    services.calendar_token(current_user, regenerate=True)
    db.session.commit()
    flash("Your calendar feed has a new address. The old one no longer works: subscribe again.", "success")
    return redirect(url_for(".my_registrations"))


@bp.route("/<int:event_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback(event_id):
    event = get_or_404(Event, event_id)
    mine = db.session.scalar(select(EventFeedback).where(EventFeedback.event_id == event.id,
                                                         EventFeedback.user_id == current_user.id))
    form = FeedbackForm(obj=mine)
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
    form = EventForm(obj=event, start_at=to_pacific(event.start_at).replace(tzinfo=None),
                     end_at=to_pacific(event.end_at).replace(tzinfo=None),
                     registration_opens_at=_local(event.registration_opens_at),
                     registration_closes_at=_local(event.registration_closes_at),
                     repeats=_repeats_of(event.rrule), repeat_count=_count_of(event.rrule),
                     organizer_ids=[u.id for u in event.organizers])
    return _event_form(form, event)


def _local(value):
    return to_pacific(value).replace(tzinfo=None) if value else None


def _repeats_of(rule):
    if not rule:
        return ""
    if "INTERVAL=2" in rule:
        return "biweekly"
    if "FREQ=WEEKLY" in rule:
        return "weekly"
    return "monthly-weekday" if "BYDAY" in rule else "monthly-date"


def _count_of(rule):
    for part in (rule or "").split(";"):
        if part.startswith("COUNT="):
            return int(part[6:])
    return None


def rule_for(repeats, start_local, count):
    """The RRULE for a preset, anchored at the first start (e.g. third Tuesday)."""
    if not repeats:
        return ""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start_local.weekday()]
    nth = (start_local.day - 1) // 7 + 1
    rule = {"weekly": "FREQ=WEEKLY", "biweekly": "FREQ=WEEKLY;INTERVAL=2",
            "monthly-weekday": f"FREQ=MONTHLY;BYDAY={nth if nth < 5 else -1}{weekday}",
            "monthly-date": "FREQ=MONTHLY"}[repeats]
    return f"{rule};COUNT={count}" if count else rule


def _event_form(form, event):
    form.cluster_id.choices = [("", "No cluster")] + [
        (c.id, c.name) for c in db.session.scalars(Cluster.active())]
    organizers = services.organizer_choices()
    form.organizer_ids.choices = [(u.id, u.name) for u in organizers]
    if form.validate_on_submit():
        fields = dict(
            kind=form.kind.data, title=form.title.data.strip(), summary=form.summary.data or "",
            start_at=from_pacific(form.start_at.data), end_at=from_pacific(form.end_at.data),
            venue=(form.venue.data or "").strip(), join_url=(form.join_url.data or "").strip(),
            visibility=form.visibility.data, cluster_id=form.cluster_id.data,
            rrule=rule_for(form.repeats.data, form.start_at.data, form.repeat_count.data),
            capacity=form.capacity.data, requires_approval=form.requires_approval.data,
            registration_enabled=form.registration_enabled.data,
            registration_opens_at=form.registration_opens_at.data and from_pacific(form.registration_opens_at.data),
            registration_closes_at=form.registration_closes_at.data and from_pacific(form.registration_closes_at.data))
        chosen = [u for u in organizers if u.id in set(form.organizer_ids.data or ())]

        def save():
            if event is None:
                return services.create_event(current_user, organizers=chosen,
                                             confirmed=form.guard_confirmed, **fields)
            return services.update_event(event, current_user, organizers=chosen,
                                         confirmed=form.guard_confirmed, **fields)

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
            question=f"Cancel {event.title}? {_people(told)} who signed up will be e-mailed and "
                     "their calendar entries removed. This cannot be undone.",
            button="Yes, cancel the event", back=url_for(".event_page", event_id=event.id))
    return _event_action(event_id, services.cancel_event,
                         "The event is cancelled; registrants are told and their calendars updated.")


def _people(count):
    return "1 person" if count == 1 else f"{count} people"


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
        session = db.session.get(EventSession, session_id)
        if session is None or session.event_id != event.id:
            abort(404)
    form = SessionForm(obj=session, **({"start_at": _local(session.start_at), "end_at": _local(session.end_at)}
                                       if session else {"start_at": _local(event.start_at), "end_at": _local(event.start_at + timedelta(hours=1))}))
    form.speaker_id.choices = _member_choices()
    if form.validate_on_submit() and attempt(lambda: services.save_session(
            event, current_user, session, confirmed=form.guard_confirmed, title=form.title.data.strip(),
            start_at=from_pacific(form.start_at.data), end_at=from_pacific(form.end_at.data),
            track=form.track.data or "", room=form.room.data or "", speakers=form.speakers.data or "",
            speaker_id=form.speaker_id.data, description=form.description.data or "",
            needs_choice=form.needs_choice.data, capacity=form.capacity.data), form=form,
            success="The session is saved."):
        return redirect(url_for(".event_page", event_id=event.id) + "#agenda")
    return render_template("convenings/edit_session.html", form=form, event=event, session=session)


def _member_choices():
    from ..accounts.models import User

    return [("", "None")] + [(u.id, u.name) for u in db.session.scalars(
        select(User).where(User.status == "active").order_by(User.name))]


@bp.post("/<int:event_id>/sessions/<int:session_id>/delete")
@login_required
def delete_session(event_id, session_id):
    event = _managed(event_id)
    session = db.session.get(EventSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    services.delete_session(session, current_user)
    db.session.commit()
    flash("The session is removed from the agenda.", "success")
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
    form.original.choices = [("", "Choose a date")] + [(o.isoformat(), f"{to_pacific(o):%a, %b %-d, %Y %-I:%M %p %Z}") for _, _, o in upcoming]
    if form.validate_on_submit():
        original = datetime.fromisoformat(form.original.data)
        moving = form.action.data == "move"
        if attempt(lambda: services.change_occurrence(
                event, current_user, original,
                new_start=from_pacific(form.new_start.data) if moving else None,
                new_end=from_pacific(form.new_end.data) if moving else None, note=form.note.data or ""),
                form=form, success="The occurrence is changed; registrants are told."):
            return redirect(url_for(".occurrences", event_id=event.id))
    return render_template("convenings/occurrences.html", event=event, form=form, upcoming=upcoming)


@bp.get("/<int:event_id>/registrants")
@login_required
def registrants(event_id):
    event = _managed(event_id)
    registrations = _registrations_for(event)
    counts = services.registration_counts(event.id)
    attended = sum(1 for r in registrations if r.checked_in_at)
    return render_template("convenings/registrants.html", event=event, registrations=registrations,
                           counts=counts, attended=attended,
                           choice_sessions=[s for s in event.sessions if s.needs_choice])


def _registrations_for(event):
    return db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id)
        .options(selectinload(EventRegistration.choices).joinedload(EventSessionChoice.session),
                 selectinload(EventRegistration.county))
        .order_by(EventRegistration.arrival)).all()


@bp.get("/<int:event_id>/registrants.csv")
@login_required
def registrants_csv(event_id):
    event = _managed(event_id)
    body = services.registrants_csv(event, _registrations_for(event))
    return csv_response(f"event-{event.id}-registrants.csv", body)


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
    registrations = [r for r in _registrations_for(event) if r.status == "registered"
                     and (not query or query in r.user.name.lower())]
    present = sum(1 for r in registrations if r.checked_in_at)
    return render_template("convenings/check_in.html", event=event, registrations=registrations,
                           present=present, query=query)


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
    if request.method == "POST" and "material-title" in request.form and material_form.validate():
        services.add_material(event, current_user, material_form.title.data.strip(), material_form.url.data,
                              material_form.session_id.data)
        db.session.commit()
        flash("The material is published on the event page.", "success")
        return redirect(url_for(".materials", event_id=event.id))
    if request.method == "POST" and "recording-recording_url" in request.form and recording_form.validate():
        services.set_recording(event, current_user, recording_form.recording_url.data,
                               recording_form.feedback_open.data)
        db.session.commit()
        flash("The recording and feedback settings are saved.", "success")
        return redirect(url_for(".materials", event_id=event.id))
    return render_template("convenings/materials.html", event=event, material_form=material_form,
                           recording_form=recording_form)


@bp.get("/<int:event_id>/feedback/results")
@login_required
def feedback_results(event_id):
    event = _managed(event_id)
    return render_template("convenings/feedback_results.html", event=event,
                           summary=services.feedback_summary(event))

