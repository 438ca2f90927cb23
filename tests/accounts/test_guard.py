"""The confidentiality guard on what people write about themselves: account requests and profiles."""
from community.accounts.models import User
from community.extensions import db

REQUEST = {"name": "Jordan Ellis", "email": "jordan@placer.example.gov", "county_id": "0",
           "program": "calworks", "title": "Employment Specialist"}


def _html(response):
    return response.get_data(as_text=True)


def test_an_ssn_in_an_account_request_note_is_refused_and_no_request_is_stored(client, make_user, outbox):
    make_user(role="admin")
    page = _html(client.post("/request-account", data={
        **REQUEST, "note": "I handle the Smith case, SSN 545 12 7789", "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Note: <mark>545 12 7789</mark>" in page
    assert "I handle the Smith case" in page
    assert db.session.scalar(User.by_email(REQUEST["email"])) is None
    assert outbox.messages() == []


def test_a_case_number_in_an_account_request_note_is_sent_once_confirmed(client, make_user):
    make_user(role="admin")
    data = {**REQUEST, "note": "I work the CalWIN case C3X7Q19 migration"}
    page = _html(client.post("/request-account", data=data))
    assert "Check this before it is saved" in page
    assert db.session.scalar(User.by_email(REQUEST["email"])) is None
    page = _html(client.post("/request-account", data={**data, "confirm_not_client_data": "y"}))
    assert "Check your e-mail" in page or db.session.scalar(User.by_email(REQUEST["email"])) is not None
    assert db.session.scalar(User.by_email(REQUEST["email"])).request_note == data["note"]


def test_a_profile_bio_with_an_ssn_is_refused_and_the_old_bio_stays(client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    page = _html(client.post("/account/profile", data={
        "name": user.name, "title": "Supervisor", "county_id": "0", "program": "calworks",
        "bio": "Ask me about 545&#8209;12&#8209;7789", "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Bio: <mark>" in page
    db.session.refresh(user)
    assert user.bio == "" and user.title != "Supervisor"


def test_a_profile_bio_with_a_home_address_asks_first_then_saves(client, make_user, sign_in):
    user = make_user()
    sign_in(user)
    data = {"name": user.name, "title": "Supervisor", "county_id": "0", "program": "calworks",
            "bio": "I visit families on 1423 Oak Street most weeks."}
    page = _html(client.post("/account/profile", data=data))
    assert "Check this before it is saved" in page
    db.session.refresh(user)
    assert "Oak" not in (user.bio or "")
    response = client.post("/account/profile", data={**data, "confirm_not_client_data": "y"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert "1423 Oak Street" in user.bio
