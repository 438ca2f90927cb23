"""Registration, waitlist and promotion, approval, session choices, changes, reminders, feedback."""
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from community.convenings import services
from community.convenings.models import EventError, EventRegistration, EventReminder
from community.extensions import db
from community.permissions import NotAllowed, can
from community.timeutil import utcnow

from community.jobs import run_ready

from .conftest import commit, register


def _calendar_part(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar" and part.get_filename() is None:
            return part
    return None


def test_registrations_beyond_capacity_join_the_waitlist_in_arrival_order(make_event, make_user):
    event = make_event(capacity=2)
    people = [make_user() for _ in range(4)]
    statuses = [register(event, person).status for person in people]
    assert statuses == ["registered", "registered", "waitlisted", "waitlisted"]
    arrivals = db.session.scalars(select(EventRegistration.arrival).where(
        EventRegistration.event_id == event.id).order_by(EventRegistration.arrival)).all()
    assert arrivals == [1, 2, 3, 4]


def test_cancelling_promotes_the_first_waitlisted_person_and_tells_them_once(make_event, make_user, outbox):
    event = make_event(capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    seat = register(event, first)
    register(event, second)
    register(event, third)
    outbox.clear()
    services.cancel_registration(seat, first)
    commit()
    statuses = {r.user_id: r.status for r in db.session.scalars(select(EventRegistration))}
    assert statuses == {first.id: "cancelled", second.id: "registered", third.id: "waitlisted"}
    promoted = [m for m in outbox.to(second.email) if m["Subject"].startswith("A seat opened")]
    assert len(promoted) == 1
    assert _calendar_part(promoted[0]).get_param("method") == "REQUEST"
    assert not [m for m in outbox.to(third.email)]
    assert outbox.to(first.email)[0]["Subject"].startswith("Registration cancelled")


def test_raising_capacity_promotes_as_many_as_the_new_seats(make_event, make_user, organizer):
    event = make_event(capacity=1)
    people = [make_user() for _ in range(4)]
    for person in people:
        register(event, person)
    services.update_event(event, organizer, capacity=3)
    commit()
    statuses = [r.status for r in db.session.scalars(
        select(EventRegistration).order_by(EventRegistration.arrival))]
    assert statuses == ["registered", "registered", "registered", "waitlisted"]


def test_registering_twice_changes_nothing_sends_nothing_and_after_cancelling_one_may_register_again(
        make_event, make_user, outbox):
    event = make_event(capacity=1)
    person = make_user()
    registration = register(event, person)
    arrival, mails = registration.arrival, len(outbox.to(person.email))
    assert register(event, person) is registration  # a double click: the same place, as it stands
    assert (registration.status, registration.arrival) == ("registered", arrival)
    assert len(outbox.to(person.email)) == mails == 1
    assert db.session.scalar(select(func.count()).select_from(EventRegistration)) == 1
    services.cancel_registration(registration, person)
    again = register(event, person)
    assert again.id == registration.id and again.status == "registered"


def test_registration_is_refused_outside_the_window_and_for_drafts(make_event, make_user):
    person = make_user()
    closed = make_event(registration_closes_at=utcnow() - timedelta(hours=1))
    with pytest.raises(services.RegistrationClosed):
        services.register(closed, person, services.Answers())
    db.session.rollback()
    draft = make_event(publish=False)
    with pytest.raises(NotAllowed):  # a draft is invisible to members
        services.register(draft, person, services.Answers())


def test_approval_gives_a_seat_or_the_waitlist_and_declining_frees_nothing(make_event, make_user, organizer, outbox):
    event = make_event(capacity=1, requires_approval=True)
    first, second = make_user(), make_user()
    one, two = register(event, first), register(event, second)
    assert (one.status, two.status) == ("pending", "pending")
    services.decide_registration(one, organizer, approve=True)
    services.decide_registration(two, organizer, approve=True)
    commit()
    assert (one.status, two.status) == ("registered", "waitlisted")
    with pytest.raises(NotAllowed):
        services.decide_registration(two, first, approve=True)


def test_lowering_capacity_below_the_people_holding_seats_is_refused_and_changes_nothing(
        make_event, make_user, organizer, outbox):
    event = make_event(capacity=3)
    people = [make_user() for _ in range(4)]
    for person in people[:3]:
        register(event, person)
    outbox.clear()
    with pytest.raises(EventError, match="3 people hold a seat"):
        services.update_event(event, organizer, capacity=2)
    db.session.rollback()
    assert db.session.get(type(event), event.id).capacity == 3
    services.update_event(event, organizer, capacity=3)  # down to exactly the seats taken is fine
    commit()
    assert register(event, people[3]).status == "waitlisted"
    assert [m["Subject"] for m in outbox.messages()] == [f"You are on the waitlist: {event.title}"]


def test_more_seats_go_to_the_waitlist_in_arrival_order_and_each_is_told_once(
        make_event, make_user, organizer, outbox):
    event = make_event(capacity=1)
    people = [make_user() for _ in range(5)]
    for person in people:
        register(event, person)
    outbox.clear()
    services.update_event(event, organizer, capacity=3)
    commit()
    status = {r.user_id: r.status for r in db.session.scalars(select(EventRegistration))}
    assert [status[p.id] for p in people] == ["registered"] * 3 + ["waitlisted"] * 2
    services.update_event(event, organizer, capacity=None)  # unlimited: the rest get seats
    commit()
    promoted = Counter(m["To"].addresses[0].addr_spec for m in outbox.messages())
    assert promoted == Counter({p.email: 1 for p in people[1:]})
    assert all(m["Subject"].startswith("A seat opened") for m in outbox.messages())


def test_a_rooms_capacity_cannot_drop_below_the_people_who_chose_the_session(make_event, make_user, organizer):
    event = make_event(kind="convening")
    start = event.start_at
    workshop = services.save_session(event, organizer, title="Workshop A", start_at=start,
                                     end_at=start + timedelta(hours=1), needs_choice=True, capacity=3)
    commit()
    for _ in range(2):
        register(event, make_user(), session_ids=(workshop.id,))
    with pytest.raises(EventError, match="2 people chose “Workshop A”"):
        services.save_session(event, organizer, workshop, capacity=1)
    db.session.rollback()
    services.save_session(event, organizer, workshop, capacity=2)
    commit()
    with pytest.raises(services.SessionFull):
        services.register(event, make_user(), services.Answers(session_ids=(workshop.id,)))


def test_session_choices_allow_one_per_time_slot_and_respect_room_capacity(make_event, make_user, organizer):
    event = make_event(kind="convening")
    start = event.start_at
    a = services.save_session(event, organizer, title="Workshop A", start_at=start, end_at=start + timedelta(hours=1),
                              needs_choice=True, capacity=1)
    b = services.save_session(event, organizer, title="Workshop B", start_at=start, end_at=start + timedelta(hours=1),
                              needs_choice=True)
    commit()
    with pytest.raises(EventError, match="same time"):
        services.register(event, make_user(), services.Answers(session_ids=(a.id, b.id)))
    db.session.rollback()
    register(event, make_user(), session_ids=(a.id,))
    with pytest.raises(services.SessionFull):
        services.register(event, make_user(), services.Answers(session_ids=(a.id,)))
    db.session.rollback()
    person = make_user()
    registration = register(event, person, session_ids=(b.id,))
    assert [c.session_id for c in registration.choices] == [b.id]


def test_changing_the_time_raises_the_sequence_and_tells_registrants(make_event, make_user, organizer, outbox):
    event = make_event()
    person = make_user()
    register(event, person)
    before = event.sequence
    outbox.clear()
    services.update_event(event, organizer, start_at=event.start_at + timedelta(hours=1),
                          end_at=event.end_at + timedelta(hours=1))
    commit()
    assert event.sequence == before + 1
    [message] = outbox.to(person.email)
    assert message["Subject"].startswith("Updated") and _calendar_part(message).get_param("method") == "REQUEST"


def test_cancelling_an_event_sends_method_cancel_to_every_registrant(make_event, make_user, organizer, outbox):
    event = make_event(capacity=1)
    registered, waiting = make_user(), make_user()
    register(event, registered)
    register(event, waiting)
    outbox.clear()
    services.cancel_event(event, organizer)
    commit()
    for person in (registered, waiting):
        [message] = outbox.to(person.email)
        part = _calendar_part(message)
        assert part.get_param("method") == "CANCEL"
        assert "STATUS:CANCELLED" in part.get_content()


def test_members_cannot_change_events_and_drafts_are_hidden_from_them(make_event, make_user):
    member = make_user()
    event = make_event(publish=False)
    assert not can(member, "view", event)
    with pytest.raises(NotAllowed):
        services.update_event(event, member, title="Renamed")


def test_reminders_go_once_per_registration_even_when_run_repeatedly(make_event, make_user, outbox, runner):
    soon = make_event(start_at=utcnow().replace(microsecond=0) + timedelta(hours=20))
    later = make_event(start_at=utcnow().replace(microsecond=0) + timedelta(days=3))
    person, waiting = make_user(), make_user()
    register(soon, person)
    register(later, person)
    outbox.clear()
    first = runner.invoke(args=["events", "send-reminders"])
    run_ready()
    second = runner.invoke(args=["events", "send-reminders"])
    run_ready()
    assert "Reminders sent: 1." in first.output and "Reminders sent: 0." in second.output
    reminders = [m for m in outbox.to(person.email) if m["Subject"].startswith(("Today", "Tomorrow"))]
    assert len(reminders) == 1 and soon.title in reminders[0]["Subject"]
    assert db.session.scalar(select(EventReminder.registration_id)) is not None
    assert not outbox.to(waiting.email)


def test_a_reminder_says_today_or_tomorrow_as_the_calendar_in_california_reads_it(monkeypatch):
    from community.convenings.services import notices

    now = datetime(2026, 12, 1, 16, 0)  # 8:00 in California
    monkeypatch.setattr(notices, "utcnow", lambda: now)
    assert notices._when(datetime(2026, 12, 2, 1, 0), "Coming up") == "Today"  # 17:00 the same day
    assert notices._when(datetime(2026, 12, 2, 8, 30), "Coming up") == "Tomorrow"  # 0:30 the next day
    assert notices._when(datetime(2026, 12, 2, 17, 0).isoformat(), "Coming up") == "Tomorrow"


def test_a_recurring_series_gets_one_reminder_per_occurrence(make_event, make_user):
    start = utcnow().replace(microsecond=0) + timedelta(hours=12)
    series = make_event(start_at=start, rrule="FREQ=WEEKLY")
    register(series, make_user())
    assert services.send_reminders() == 1
    commit()
    assert services.send_reminders(now=utcnow() + timedelta(days=7)) == 1
    assert services.send_reminders(now=utcnow() + timedelta(days=7)) == 0


def test_feedback_only_from_registered_people_and_summarised(make_event, make_user, organizer):
    event = make_event()
    person, stranger = make_user(), make_user()
    register(event, person)
    with pytest.raises(EventError):
        services.submit_feedback(event, person, 5, "yes", "")
    services.set_recording(event, organizer, "https://media.example.org/rec", open_feedback=True)
    services.submit_feedback(event, person, 4, "yes", "Useful examples")
    with pytest.raises(NotAllowed):
        services.submit_feedback(event, stranger, 1, "no", "")
    summary = services.feedback_summary(event)
    assert summary["count"] == 1 and summary["average"] == 4.0 and summary["comments"] == ["Useful examples"]


def test_csv_export_has_session_columns_and_neutralises_formulas(make_event, make_user, organizer):
    event = make_event(kind="convening")
    workshop = services.save_session(event, organizer, title="=HYPERLINK(\"x\")", start_at=event.start_at,
                                     end_at=event.end_at, needs_choice=True)
    person = make_user(name="@SUM(A1) Evil")
    registration = register(event, person, session_ids=(workshop.id,), dietary_needs="+1 vegetarian")
    body = services.registrants_csv(event, [registration])
    header, row = body.splitlines()[:2]
    assert header.endswith(",\"'=HYPERLINK(\"\"x\"\")\"")  # neutralised, then quoted for its quotes
    assert row.startswith("'@SUM(A1) Evil") and "'+1 vegetarian" in row and row.endswith("yes")


def test_the_personal_feed_token_is_regenerated_and_the_old_one_revoked(app, make_user):
    person = make_user()
    old = services.calendar_token(person).token
    assert services.person_for_token(old) == person
    new = services.calendar_token(person, regenerate=True).token
    assert new != old and services.person_for_token(old) is None and services.person_for_token(new) == person


def test_a_limited_calendar_is_the_start_of_the_whole_window_with_series_and_one_offs_interleaved(
        make_event, make_user, organizer):
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=1)
    for n in range(12):
        make_event(title=f"Training {n:02}", start_at=start + timedelta(days=n * 3, hours=n % 4))
    make_event(title="Weekly cluster call", start_at=start + timedelta(hours=2), rrule="FREQ=WEEKLY")
    series = make_event(title="Fortnightly webinar", start_at=start + timedelta(days=1), rrule="FREQ=WEEKLY;INTERVAL=2")
    services.change_occurrence(series, organizer, series.start_at)  # skip the first date
    commit()
    viewer = make_user()
    window = (utcnow(), utcnow() + timedelta(days=60))
    everything = [(o.event.title, o.start) for o in services.occurrences_for(viewer, *window)]
    assert ("Fortnightly webinar", series.start_at) not in everything
    for limit in (1, 5, 13, 20, len(everything), len(everything) + 5):
        limited = [(o.event.title, o.start) for o in services.occurrences_for(viewer, *window, limit=limit)]
        assert limited == everything[:limit]


def test_changing_a_series_rule_or_first_date_changes_its_dates_despite_the_expansion_cache(
        make_event, organizer):
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=1)
    series = make_event(title="Family engagement call", start_at=start, rrule="FREQ=WEEKLY")
    window = (start - timedelta(hours=1), start + timedelta(days=28))

    def dates():
        return [begins for begins, _, _ in series.occurrences(*window)]

    assert len(dates()) == 4  # expanded once: now cached for this rule and first start
    services.update_event(series, organizer, rrule="FREQ=WEEKLY;INTERVAL=2")
    commit()
    assert dates() == [start, start + timedelta(days=14)]
    services.update_event(series, organizer, start_at=start + timedelta(days=1), end_at=start + timedelta(days=1, hours=1))
    commit()
    assert dates() == [start + timedelta(days=1), start + timedelta(days=15)]
    services.change_occurrence(series, organizer, start + timedelta(days=15))
    commit()
    assert dates() == [start + timedelta(days=1)]


def test_an_event_venue_is_checked_like_its_title(app, make_user):
    from community import guard

    organizer = make_user(role="organizer")
    with pytest.raises(guard.GuardStopped):
        services.create_event(organizer, title="Home visit debrief", kind="webinar",
                              start_at=utcnow() + timedelta(days=3), end_at=utcnow() + timedelta(days=3, hours=1),
                              venue="Family home, SSN 545-12-7789", visibility="members")


def test_a_cancelled_event_takes_no_more_answers_feedback_or_join_links(make_event, make_user, organizer):
    from .conftest import register

    event = make_event(title="Joint case review webinar", join_url="https://zoom.example.org/j/123")
    person = make_user(name="Tanya Brooks")
    registration = register(event, person)
    services.set_recording(event, organizer, "https://media.example.org/recording", True)
    services.cancel_event(event, organizer)
    db.session.commit()
    with pytest.raises(EventError, match="cancelled"):
        services.update_answers(registration, person, services.Answers(program=person.program,
                                                                      dietary_needs="Vegetarian"))
    db.session.rollback()
    with pytest.raises(EventError, match="not open"):
        services.submit_feedback(event, person, 5, "yes", "Useful.")
    db.session.rollback()
    assert not services.may_join(event, person, registration)
    events, join = services.personal_feed(person)
    assert event.id not in join
