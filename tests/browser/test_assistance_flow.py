"""Technical assistance in Chromium: a county member asks CFPIC for help with a file attached, an
organizer triages it and reads the dashboard. Every page is checked with axe-core and the Nu HTML Checker."""
import pytest

from community.cli import seed_demo
from community.extensions import db
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser


def test_ask_for_help_then_triage_it(page, live_server, check_page):
    with live_server.app.app_context():
        seed_demo(live_server.app)
        db.session.commit()
    sign_in_page(page, "hector.villanueva@tulare.example.gov")
    page.goto("/assistance/")
    check_page(page, "assistance-index")
    page.get_by_role("link", name="Ask CFPIC for help").click()
    page.get_by_label("What do you need help with?").fill("Starting co-location in our Visalia office")
    page.get_by_label("What have you tried, and what would help?").fill(
        "We have space for one CalWORKs counselor two days a week and want to know how others scheduled it.")
    page.get_by_label("Toolkit area").select_option("sustainability")
    page.get_by_label("A site visit").check()
    page.get_by_label("Attach a file (optional)").set_input_files(files=[{
        "name": "visalia-schedule.txt", "mimeType": "text/plain",
        "buffer": b"Counselor on site Tuesdays and Thursdays; shared calendar with CWS.\n"}])
    check_page(page, "assistance-ask")
    page.get_by_role("button", name="Send the request").click()
    page.get_by_text("Your request is with CFPIC").wait_for()
    page.get_by_role("link", name="visalia-schedule.txt").wait_for()
    check_page(page, "assistance-request-county")
    url = page.url
    page.get_by_role("button", name="Sign out").click()

    sign_in_page(page, "organizer@linkages.example.org")
    page.goto(url)
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("CFPIC staff member").select_option(label="Renee Okafor")
    page.get_by_role("button", name="Save and tell the county").click()
    page.get_by_text("Saved. The county is told about the change.").wait_for()
    check_page(page, "assistance-request-triage")
    page.goto("/assistance/dashboard")
    page.get_by_role("heading", name="What counties ask about").wait_for()
    check_page(page, "assistance-dashboard")
