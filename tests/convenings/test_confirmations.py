"""Irreversible event actions ask first, with the number of people affected, with or without JavaScript."""
from community.convenings.models import EventRegistration
from community.extensions import db

from .conftest import register


def _status(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident).status


def test_cancelling_an_event_first_asks_with_the_number_of_registrants_to_be_told(
        client, make_event, make_user, organizer, sign_in, outbox):
    event = make_event(kind="convening", title="Linkages Spring Convening")
    for _ in range(3):
        register(event, make_user())
    outbox.clear()
    sign_in(organizer)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'data-confirm="Cancel Linkages Spring Convening? 3 people who signed up will be e-mailed.' in page
    assert 'class="confirm"' not in page

    asked = client.post(f"/events/{event.id}/cancel")
    assert asked.status_code == 200
    assert "3 people who signed up will be e-mailed" in asked.get_data(as_text=True)
    assert _status(type(event), event.id) == "published" and outbox.messages() == []

    client.post(f"/events/{event.id}/cancel", data={"confirmed": "1"})
    assert _status(type(event), event.id) == "cancelled"
    assert len(outbox.messages()) == 3


def test_cancelling_a_registration_that_hands_the_seat_to_the_waitlist_asks_first(
        client, make_event, make_user, sign_in):
    event = make_event(capacity=1)
    holder, waiting = make_user(), make_user()
    seat = register(event, holder)
    queued = register(event, waiting)
    sign_in(holder)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "data-confirm=\"Cancel your registration? 1 person is waiting" in page

    asked = client.post(f"/events/registrations/{seat.id}/cancel")
    assert asked.status_code == 200
    assert "1 person is waiting for a seat" in asked.get_data(as_text=True)
    assert _status(EventRegistration, seat.id) == "registered"
    assert _status(EventRegistration, queued.id) == "waitlisted"

    client.post(f"/events/registrations/{seat.id}/cancel", data={"confirmed": "1"})
    assert _status(EventRegistration, seat.id) == "cancelled"
    assert _status(EventRegistration, queued.id) == "registered"


def test_cancelling_a_registration_nobody_waits_for_acts_at_once(client, make_event, make_user, sign_in):
    event = make_event(capacity=5)
    person = make_user()
    registration = register(event, person)
    sign_in(person)
    assert "data-confirm" not in client.get(f"/events/{event.id}").get_data(as_text=True).split(
        "registration-heading")[1].split("</aside>")[0]
    response = client.post(f"/events/registrations/{registration.id}/cancel")
    assert response.status_code == 302
    assert _status(EventRegistration, registration.id) == "cancelled"


def test_the_confirmation_never_shows_someone_elses_registration(client, make_event, make_user, sign_in):
    event = make_event(capacity=1)
    holder, waiting, stranger = make_user(), make_user(), make_user()
    seat = register(event, holder)
    register(event, waiting)
    sign_in(stranger)
    response = client.post(f"/events/registrations/{seat.id}/cancel")
    assert response.status_code == 404
    assert "waiting" not in response.get_data(as_text=True)
    assert _status(EventRegistration, seat.id) == "registered"


def test_members_cannot_reach_the_event_cancellation_question(client, make_event, make_user, sign_in):
    event = make_event()
    register(event, make_user())
    sign_in(make_user())
    response = client.post(f"/events/{event.id}/cancel")
    assert response.status_code == 403  # they see the event, so its existence is no secret
    assert "signed up" not in response.get_data(as_text=True)
    assert _status(type(event), event.id) == "published"
