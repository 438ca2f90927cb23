"""The newsletter in Chromium: an organizer composes with every block kind, previews, tests and
sends; a visitor subscribes, confirms, changes preferences and unsubscribes.

Every page on the way is checked with axe-core and the Nu HTML Checker.
"""
import re

import pytest

from community.extensions import db
from community.search import backend as site_search
from newsletters.models import Subscriber
from tests.browser.test_accounts_flow import _link_in_mail
from tests.newsletters.conftest import PRIVATE_THREAD, PUBLIC_THREAD, register_test_providers

pytestmark = pytest.mark.browser


def test_an_organizer_composes_every_block_kind_previews_tests_and_sends(
        page, live_server, check_page, make_user, outbox):
    with live_server.app.app_context():
        register_test_providers(live_server.app)
        site_search.rebuild()  # the highlights picker searches the site's index
        make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org")
        for n in range(3):
            db.session.add(Subscriber(email=f"reader{n}@fresno.example.gov", name=f"Reader {n}",
                                      status="confirmed", source="import"))
        db.session.commit()

    page.goto("/sign-in")
    page.get_by_label("E-mail").fill("organizer@linkages.example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Newsletter", exact=True).click()
    page.get_by_role("link", name="Compose and send").click()
    check_page(page, "newsletter-manage")
    page.get_by_label("Subject").fill("Linkages Winter 2027: Fresno in focus")
    page.get_by_label("Preheader").fill("County spotlight, webinars and new toolkit items.")
    page.get_by_label("Introduction").fill("Welcome to the **winter** issue.")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_text("The draft is created").wait_for()
    check_page(page, "newsletter-compose")

    page.get_by_role("link", name="Add story").click()
    check_page(page, "newsletter-block-story")
    page.get_by_label("Heading").fill("County spotlight: Fresno")
    page.get_by_label("Story").fill("Fresno's CalWORKs and CWS staff now meet *weekly*.")
    page.get_by_role("button", name="Save block").click()
    page.get_by_role("link", name="Add upcoming events").click()
    page.get_by_label("From").fill("2027-01-04")
    page.get_by_label("To", exact=True).fill("2027-01-31")
    page.get_by_role("button", name="Save block").click()
    page.get_by_role("link", name="Add new resources").click()
    page.get_by_role("button", name="Save block").click()
    page.get_by_role("link", name="Add cluster highlights").click()
    page.get_by_label("Find a public thread").fill(str(PRIVATE_THREAD))  # the picker offers none
    page.get_by_text("0 public threads found.").wait_for()
    page.get_by_label("Find a public thread").fill(str(PUBLIC_THREAD))
    page.get_by_label("Announcing the 2027 convening dates").check()
    check_page(page, "newsletter-block-highlights")
    page.get_by_role("button", name="Save block").click()
    page.get_by_role("link", name="Add call to action").click()
    page.get_by_label("Button text").fill("Register")
    page.get_by_label("Button link").fill("https://linkages.example.org/register")
    page.get_by_role("button", name="Save block").click()
    page.get_by_role("button", name="Move up Call to action").click()
    blocks = page.locator(".block-list > li strong").all_inner_texts()
    assert blocks == ["County spotlight: Fresno", "Upcoming events", "New resources",
                      "Call to action", "Cluster highlights"]
    check_page(page, "newsletter-compose-blocks")

    page.get_by_role("link", name="Preview").click()
    frame = page.frame_locator("iframe.email-frame")
    frame.get_by_text("Monthly webinar: mutual cases at intake").wait_for()
    assert "Shared release of information" in page.locator("pre.text-part").inner_text()
    check_page(page, "newsletter-preview")
    page.get_by_role("button", name="Send a test to organizer@linkages.example.org").click()
    page.get_by_text("A test copy is on its way").wait_for()
    with live_server.app.app_context():
        assert outbox.to("organizer@linkages.example.org")[-1]["Subject"].startswith("[Test] ")

    page.goto(page.url.rsplit("/preview", 1)[0])
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Send now to all confirmed subscribers").click()
    page.get_by_text("Sending has started.").wait_for()
    assert asked == ["This will e-mail 3 confirmed subscribers. Send now?"]
    for _ in range(20):  # the organizer refreshes until the send is done
        if page.get_by_text(re.compile(r"^Sent .* to 3 subscribers")).count():
            break
        page.wait_for_timeout(250)
        page.reload()
    page.get_by_text(re.compile(r"^Sent .* to 3 subscribers")).wait_for()
    check_page(page, "newsletter-progress")
    with live_server.app.app_context():
        assert len(outbox.to("@fresno.example.gov")) == 3

    page.get_by_role("link", name="See it in the archive").click()
    check_page(page, "newsletter-issue")
    issue_id = re.search(r"/newsletter/(\d+)-", page.url).group(1)
    page.get_by_role("link", name="Newsletter archive").click()
    check_page(page, "newsletter-archive")
    page.goto(f"/newsletter/{issue_id}/web.html")  # the e-mail as a page, linked from every copy
    assert page.get_by_role("main").get_by_role("heading", name="Linkages Winter 2027: Fresno in focus").count() == 1
    check_page(page, "newsletter-web-version", markup="e-mail")
    page.goto("/newsletters/manage/subscribers")
    check_page(page, "newsletter-subscribers")
    page.get_by_role("link", name="Import").click()
    check_page(page, "newsletter-import")


def test_a_visitor_subscribes_confirms_changes_preferences_and_unsubscribes(
        page, live_server, check_page, outbox):
    page.goto("/newsletter")
    page.get_by_role("link", name="Subscribe", exact=True).click()
    check_page(page, "newsletter-subscribe")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_text("Enter your e-mail address.").first.wait_for()
    check_page(page, "newsletter-subscribe-errors")
    page.get_by_label("E-mail").fill("linda.foster@cdss.example.gov")
    page.get_by_label("Name").fill("Linda Foster")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    check_page(page, "newsletter-subscribe-sent")

    with live_server.app.app_context():
        confirm = _link_in_mail(outbox, "linda.foster@cdss.example.gov", "/newsletter/confirm/")
    page.goto(confirm)
    page.get_by_role("heading", name="Confirm your subscription").wait_for()
    check_page(page, "newsletter-confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()
    check_page(page, "newsletter-confirmed")
    page.get_by_role("link", name="Your newsletter preferences").click()
    check_page(page, "newsletter-preferences")
    page.get_by_label("County").select_option(label="Sacramento County")
    page.get_by_label("Pause the newsletter").check()
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Your newsletter preferences are saved.").wait_for()
    page.get_by_role("link", name="Unsubscribe").click()
    check_page(page, "newsletter-unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    check_page(page, "newsletter-unsubscribed")
    with live_server.app.app_context():
        subscriber = db.session.scalar(Subscriber.by_email("linda.foster@cdss.example.gov"))
        assert subscriber.status == "unsubscribed" and subscriber.county.name == "Sacramento"
