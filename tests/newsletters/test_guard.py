"""The confidentiality guard on what organizers write into newsletters: issues, stories, calls to action."""
from sqlalchemy import func, select

from community.extensions import db
from newsletters import services
from newsletters.models import Block, Issue


def _html(response):
    return response.get_data(as_text=True)


def _draft(organizer):
    issue = services.create_issue(organizer, "Linkages Winter 2027", "Fresno in focus", "Hello.")
    db.session.commit()
    return issue


def _blocks():
    return db.session.scalar(select(func.count()).select_from(Block))


def test_an_ssn_in_a_story_block_is_refused_and_no_block_is_stored(client, organizer, sign_in):
    issue = _draft(organizer)
    sign_in(organizer)
    page = _html(client.post(f"/newsletters/manage/{issue.id}/blocks/new/story", data={
        "heading": "Spotlight", "body": "Thanks to the family (SSN \\*\\*545-12-7789\\*\\*)",
        "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Body: <mark>" in page
    assert _blocks() == 0


def test_a_childs_birthday_in_a_story_asks_first_and_confirming_saves(client, organizer, sign_in):
    issue = _draft(organizer)
    sign_in(organizer)
    data = {"heading": "Spotlight", "body": "Child's birthday: 4/12/2015, and the party was great."}
    page = _html(client.post(f"/newsletters/manage/{issue.id}/blocks/new/story", data=data))
    assert "Check this before it is saved" in page and 'name="confirm_not_client_data"' in page
    assert _blocks() == 0
    response = client.post(f"/newsletters/manage/{issue.id}/blocks/new/story",
                           data={**data, "confirm_not_client_data": "y"})
    assert response.status_code == 302 and _blocks() == 1


def test_a_call_to_action_text_is_guarded(client, organizer, sign_in):
    issue = _draft(organizer)
    sign_in(organizer)
    page = _html(client.post(f"/newsletters/manage/{issue.id}/blocks/new/cta", data={
        "heading": "Join us", "body": "Questions? Ask about case # 19-00345-B",
        "button_text": "Register", "button_url": "https://linkages.example.org/register"}))
    assert "Check this before it is saved" in page and _blocks() == 0
    page = _html(client.post(f"/newsletters/manage/{issue.id}/blocks/new/cta", data={
        "heading": "Join us", "body": "", "button_text": "SSN 545-12-7789",
        "button_url": "https://linkages.example.org/register", "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Button text: <mark>" in page and _blocks() == 0


def test_an_issue_introduction_with_an_ssn_is_refused(client, organizer, sign_in):
    sign_in(organizer)
    page = _html(client.post("/newsletters/manage", data={
        "subject": "Winter", "preheader": "", "introduction": "Welcome 545&#8211;12&#8211;7789"}))
    assert "This cannot be saved" in page
    assert db.session.scalar(select(func.count()).select_from(Issue)) == 0
