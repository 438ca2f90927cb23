"""The composer's thread picker and the subscribers' topic choices in Chromium, at 1280 and 390 px.

Every page on the way is checked with axe-core and the Nu HTML Checker, and none scrolls sideways.
"""
import pytest

from community.extensions import db
from community.search import backend as site_search
from newsletters import services
from newsletters.models import Subscriber
from tests.forums.conftest import Forum
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _fits(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


@pytest.fixture
def composer(live_server, make_user):
    """A public and a private thread about the same thing, and a draft issue."""
    with live_server.app.app_context():
        forum = Forum(make_user)
        announcements = forum.add_cluster("Linkages Announcements", [forum.facilitator],
                                          is_public=True)
        db.session.commit()
        forum.thread(author=forum.facilitator, cluster=announcements,
                     title="Reunification timelines and CalWORKs housing",
                     body="Save the date for the reunification webinar.")
        forum.thread(title="Reunification case from our county",
                     body="A reunification plan for a family we share.")
        site_search.rebuild()
        organizer = make_user(role="organizer", name="Renee Okafor",
                              email="organizer@linkages.example.org")
        issue = services.create_issue(organizer, "Linkages Spring 2027")
        db.session.commit()
        return f"/newsletters/manage/{issue.id}/blocks/new/highlights"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_organizer_picks_public_threads_as_she_types(page, composer, check_page, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in_page(page, "organizer@linkages.example.org", "correct horse battery")
    page.goto(composer)
    _fits(page, "the highlights block")
    page.get_by_label("Find a public thread").press_sequentially("reunif", delay=30)
    page.get_by_text("1 public thread found").wait_for()
    assert page.get_by_text("Reunification case from our county").count() == 0
    page.get_by_label("Reunification timelines and CalWORKs housing").check()
    page.get_by_text("Added: Reunification timelines").wait_for()
    check_page(page, f"newsletter-picker-results-{width}")
    _fits(page, "the picker with results")
    page.get_by_label("Find a public thread").fill("")
    page.get_by_role("button", name="Save block").click()
    page.get_by_text("The cluster highlights block is saved.").wait_for()
    assert page.get_by_text("Cluster highlights · 1 item").count() == 1
    check_page(page, f"newsletter-compose-{width}")
    _fits(page, "the composer")


def test_without_javascript_the_picker_is_a_search_field_and_a_list(browser, live_server, composer,
                                                                    check_page):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False,
                                  bypass_csp=True, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in_page(page, "organizer@linkages.example.org", "correct horse battery")
        page.goto(composer)
        page.get_by_label("Find a public thread").fill("reunification")
        page.get_by_role("button", name="Search threads").click()
        page.get_by_text("1 public thread found").wait_for()
        page.get_by_label("Reunification timelines and CalWORKs housing").check()
        page.get_by_role("button", name="Save block").click()
        page.get_by_text("The cluster highlights block is saved.").wait_for()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_subscriber_chooses_topics_on_the_subscribe_and_preferences_pages(
        page, live_server, check_page, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto("/newsletter/subscribe")
    _fits(page, "the subscribe page")
    assert page.get_by_role("group", name="Topics").get_by_role("checkbox").count() == 4
    page.get_by_label("E-mail").fill("ana.ruiz@kern.example.gov")
    page.get_by_label("Name").fill("Ana Ruiz")
    page.get_by_label("Convenings").uncheck()
    check_page(page, f"newsletter-subscribe-topics-{width}")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    with live_server.app.app_context():
        reader = db.session.scalar(Subscriber.by_email("ana.ruiz@kern.example.gov"))
        assert reader.topic_names == ["webinars", "resources", "clusters"]
        reader.confirm()
        db.session.commit()
        preferences = services.preferences_url(reader)
    page.goto(preferences)
    assert not page.get_by_label("Convenings").is_checked()
    page.get_by_label("New resources").uncheck()
    page.get_by_label("Convenings").check()
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Your newsletter preferences are saved.").wait_for()
    check_page(page, f"newsletter-preferences-topics-{width}")
    _fits(page, "the preferences page")
    with live_server.app.app_context():
        db.session.expire_all()
        reader = db.session.scalar(Subscriber.by_email("ana.ruiz@kern.example.gov"))
        assert reader.topic_names == ["convenings", "webinars", "clusters"]
