"""The confidentiality guard on events: titles and descriptions, sessions, registration answers
organizers read, and feedback comments."""
from sqlalchemy import func, select

from community.convenings import services
from community.convenings.models import Event, EventFeedback, EventRegistration, EventSession
from community.extensions import db

from .conftest import register

EVENT = {"kind": "training", "start_at": "2027-03-09T09:00", "end_at": "2027-03-09T12:00",
         "visibility": "members", "registration_enabled": "y", "repeats": ""}


def _html(response):
    return response.get_data(as_text=True)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_ssn_in_an_event_description_is_refused_and_no_event_is_stored(client, organizer, sign_in):
    sign_in(organizer)
    page = _html(client.post("/events/new", data={
        **EVENT, "title": "Case review clinic", "summary": "Bring the file for SSN 545.12.7789",
        "organizer_ids": [organizer.id], "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Summary: <mark>545.12.7789</mark>" in page
    assert "Bring the file for SSN 545.12.7789" in page and _count(Event) == 0


def test_a_case_number_in_an_event_title_asks_first_and_confirming_saves(client, organizer, sign_in):
    sign_in(organizer)
    data = {**EVENT, "title": "Staffing for referral 0412-3387-2210-5567891", "summary": "",
            "organizer_ids": [organizer.id]}
    page = _html(client.post("/events/new", data=data))
    assert "Check this before it is saved" in page and 'name="confirm_not_client_data"' in page
    assert _count(Event) == 0
    response = client.post("/events/new", data={**data, "confirm_not_client_data": "y"})
    assert response.status_code == 302 and _count(Event) == 1


def test_editing_an_event_title_to_include_an_ssn_is_refused(client, organizer, make_event, sign_in):
    event = make_event()
    sign_in(organizer)
    client.post(f"/events/{event.id}/edit", data={
        **EVENT, "title": "Clinic for 545-12-7789", "summary": "", "organizer_ids": [organizer.id]})
    db.session.refresh(event)
    assert event.title == "Coordinated case planning webinar"


def test_a_session_description_with_a_childs_name_and_age_asks_first(client, organizer, make_event, sign_in):
    event = make_event()
    sign_in(organizer)
    page = _html(client.post(f"/events/{event.id}/sessions/new", data={
        "title": "Case study", "start_at": "2027-03-09T09:00", "end_at": "2027-03-09T10:00",
        "description": "We follow Aaliyah Brooks (5 yrs) through two programs."}))
    assert "Check this before it is saved" in page and _count(EventSession) == 0


def test_a_registration_answer_with_an_ssn_is_refused_and_nobody_is_registered(
        client, make_event, make_user, sign_in):
    event = make_event()
    sign_in(make_user(program="calworks"))
    page = _html(client.post(f"/events/{event.id}/register", data={
        "program": "calworks", "accessibility_needs": "My SSN is 545-12-7789 for the badge",
        "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Accessibility needs: <mark>545-12-7789</mark>" in page
    assert _count(EventRegistration) == 0


def test_a_registration_answer_with_a_phone_number_registers_once_confirmed(
        client, make_event, make_user, sign_in):
    event = make_event()
    sign_in(make_user(program="calworks"))
    data = {"program": "calworks", "dietary_needs": "Vegetarian; call my cell 209-555-0143 if not"}
    page = _html(client.post(f"/events/{event.id}/register", data=data))
    assert "Check this before it is saved" in page and _count(EventRegistration) == 0
    response = client.post(f"/events/{event.id}/register", data={**data, "confirm_not_client_data": "y"})
    assert response.status_code == 302
    assert db.session.scalar(select(EventRegistration.dietary_needs)) == data["dietary_needs"]


def test_changing_registration_answers_is_guarded_too(client, make_event, make_user, sign_in):
    event = make_event()
    person = make_user(program="calworks")
    registration = register(event, person)
    sign_in(person)
    client.post(f"/events/registrations/{registration.id}", data={
        "program": "calworks", "accessibility_needs": "ssn 545127789"})
    db.session.refresh(registration)
    assert registration.accessibility_needs == ""


def test_a_feedback_comment_with_an_ssn_is_refused(client, organizer, make_event, make_user, sign_in):
    event = make_event()
    person = make_user(program="calworks")
    register(event, person)
    services.set_recording(event, organizer, "https://media.example.org/recording", True)
    db.session.commit()
    sign_in(person)
    page = _html(client.post(f"/events/{event.id}/feedback", data={
        "rating": "5", "useful": "yes", "comment": "Great, my client 545-12-7789 benefits"}))
    assert "This cannot be saved" in page and _count(EventFeedback) == 0
