"""Surveys in Chromium: an organizer builds an instrument and opens a round, a county coordinator
answers it on a phone, and the demo's results page shows charts and the county map. Every page is
checked with axe-core and the Nu HTML Checker."""
import pytest
from sqlalchemy import select

from community.cli import seed_demo
from community.extensions import db
from community.surveys.models import Round, SurveyResponse
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser

ORGANIZER, MARIA = "organizer@linkages.example.org", "maria.lopez@stanislaus.example.gov"


def test_build_a_survey_answer_it_for_a_county_and_read_the_results(page, live_server, check_page):
    app = live_server.app
    with app.app_context():
        seed_demo(app)
        db.session.commit()
        closed = db.session.scalar(select(Round.id).where(Round.name == "Spring 2026").order_by(Round.id))

    sign_in_page(page, ORGANIZER)
    page.goto("/surveys/manage/")
    check_page(page, "surveys-manage")
    page.get_by_label("Title").fill("Cross-training readiness")
    page.get_by_label("One response per county").check()
    page.get_by_role("button", name="Create the survey").click()
    page.get_by_role("heading", name="Cross-training readiness").wait_for()
    page.get_by_text("Add a question").click()
    page.get_by_label("Question", exact=True).fill("Which stage is your cross-training in?")
    page.get_by_label("Kind of answer").select_option("stage")
    page.get_by_label("An answer is required to submit").check()
    page.get_by_role("button", name="Add the question").click()
    page.get_by_text("Question added.").wait_for()
    page.get_by_text("Add a question").click()
    page.get_by_label("Question", exact=True).fill("Who teaches it?")
    page.get_by_label("Kind of answer").select_option("single")
    page.get_by_label("Choices").fill("CWS trainers\nCalWORKs trainers\nBoth together")
    page.get_by_role("button", name="Add the question").click()
    page.get_by_text("Question added.").wait_for()
    check_page(page, "surveys-build")
    page.get_by_text("Start a new round").click()
    page.get_by_label("Name of the round").fill("Winter 2027")
    page.get_by_label("Closes").fill("2031-01-15T17:00")
    page.get_by_role("button", name="Create the round").click()
    page.get_by_role("button", name="Open the round and e-mail the invitations").click()
    page.get_by_text("The round is open").wait_for()
    check_page(page, "surveys-round")
    page.goto(f"/surveys/rounds/{closed}/results")
    page.get_by_role("heading", name="Where counties are with Linkages").wait_for()
    check_page(page, "surveys-results")
    page.get_by_role("button", name="Sign out").click()

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_page(page, MARIA)
    page.goto("/surveys/")
    check_page(page, "surveys-index")
    page.get_by_role("link", name="Cross-training readiness").click()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("Answer this question to submit.").first.wait_for()
    check_page(page, "surveys-respond-errors")
    page.get_by_label("Initial implementation").check()
    page.get_by_label("Both together").check()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("your answers are submitted").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with app.app_context():
        response = db.session.scalar(select(SurveyResponse).join(Round).where(Round.name == "Winter 2027"))
        assert response.is_submitted and response.county.name == "Stanislaus"
