"""The getting-started checklist on a newcomer's home page."""
from community import content
from community.extensions import db


def _checklist(client):
    page = client.get("/").get_data(as_text=True)
    if "Getting started" not in page:
        return None
    return page.split('id="checklist-heading"', 1)[1].split("</section>", 1)[0]


def test_a_newcomer_sees_what_is_left_and_each_step_ticks_when_done(app, client, make_user, sign_in):
    # One step another feature area offers and that stays open, so the list stays on the page.
    content.register_provider(app, "onboarding.steps", lambda user: [
        content.ChecklistStep("Read the house rules", False, "/about", "Two minutes.", order=99)])
    person = make_user(name="Nia Brooks")
    person.title = ""
    db.session.commit()
    sign_in(person)
    steps = _checklist(client)
    assert "Finish your profile" in steps and "Get the Linkages newsletter" in steps
    assert "(done)" not in steps

    client.post("/account/profile", data={"name": "Nia Brooks", "title": "Linkages coordinator", "program": "cws",
                                          "bio": "I coordinate Linkages for our county."})
    steps = _checklist(client)
    assert "<s>Finish your profile</s> <span class=\"visually-hidden\">(done)</span>" in steps

    client.post("/newsletter/me", data={"subscribe": "1"})
    steps = _checklist(client)
    assert "<s>Get the Linkages newsletter</s>" in steps
    assert '<a href="/about">Read the house rules</a>' in steps and "Two minutes." in steps


def test_the_checklist_can_be_hidden_for_good(client, make_user, sign_in):
    sign_in(make_user())
    assert _checklist(client) is not None
    response = client.post("/checklist/hide")
    assert response.status_code == 302
    assert _checklist(client) is None
    assert client.get("/").status_code == 200


def test_hiding_needs_a_signed_in_person(client):
    assert client.post("/checklist/hide").status_code in (302, 401)
