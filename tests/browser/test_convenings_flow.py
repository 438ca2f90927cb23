"""Events in Chromium: browse the calendar, register, wait, get promoted, download the invitation;
organizers' pages on a desktop and the check-in page on a phone. Every page is checked with
axe-core and the Nu HTML Checker."""
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from community.cli import seed_demo
from community.convenings import services, views
from community.convenings.models import Event, EventRegistration
from community.core.demo import demo_user
from community.extensions import db
from community.jobs import run_ready
from community.timeutil import to_pacific, utcnow
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser

MARIA, JAMES = "maria.lopez@stanislaus.example.gov", "james.chen@lacounty.example.gov"


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def _prepare(app):
    """The demo calendar, and one small event whose single seat James already holds."""
    with app.app_context():
        seed_demo(app)
        organizer = demo_user("organizer@linkages.example.org")
        event = services.create_event(
            organizer, kind="training", title="Peer exchange: Fresno and Tulare intake teams",
            summary="A small **site visit** for two intake teams.", capacity=1, visibility="members",
            start_at=utcnow().replace(microsecond=0) + timedelta(days=9),
            end_at=utcnow().replace(microsecond=0) + timedelta(days=9, hours=3),
            venue="Fresno County DSS, 2135 Fresno Street", join_url="https://meet.example.org/j/peer-exchange")
        services.publish_event(event, organizer)
        services.register(event, demo_user(JAMES), services.Answers(program="cws"))
        db.session.commit()
        run_ready()
        ids = {"small": event.id}
        for kind, key in (("convening", "convening"), ("webinar", "webinar")):
            ids[key] = db.session.scalar(select(Event.id).where(Event.kind == kind, Event.rrule == ("" if kind == "convening" else "FREQ=MONTHLY;BYDAY=3TU")))
        ids["past"] = db.session.scalar(select(Event.id).where(Event.recording_url != ""))
        convening_start = to_pacific(db.session.get(Event, ids["convening"]).start_at)
        ids["convening_month"] = f"{convening_start.year}-{convening_start.month}"
        return ids


def test_register_wait_get_promoted_and_download_the_invitation(page, live_server, check_page, monkeypatch):
    ids = _prepare(live_server.app)
    monkeypatch.setattr(views, "UPCOMING_PER_PAGE", 8)  # the demo calendar then fills several pages

    page.goto("/events/")
    check_page(page, "events-upcoming-anonymous")
    page.goto(f"/events/{ids['convening']}")
    page.get_by_role("heading", name="Agenda").wait_for()
    check_page(page, "event-convening-agenda")

    sign_in_page(page, MARIA)
    page.get_by_role("heading", name="Upcoming events").wait_for()
    check_page(page, "home-with-events")
    page.get_by_role("link", name="Events", exact=True).click()
    check_page(page, "events-upcoming")
    assert page.locator(".event-list > li").count() == 8
    page.get_by_role("link", name="Later events").click()
    page.get_by_role("heading", name="Coming up: page 2").wait_for()
    check_page(page, "events-upcoming-later")
    page.get_by_role("link", name="Earlier events").click()
    page.get_by_role("heading", name="Coming up", exact=True).wait_for()
    page.get_by_role("link", name="Month", exact=True).click()
    check_page(page, "events-month")
    page.goto(f"/events/month/{ids['convening_month']}")  # the two-day convening, drawn as a bar
    page.locator(".month-grid li.bar-start").first.wait_for()
    check_page(page, "events-month-convening")
    page.goto(f"/events/{ids['webinar']}")
    check_page(page, "event-recurring-webinar")

    page.goto(f"/events/{ids['small']}")
    page.get_by_role("link", name="Join the waitlist").click()
    check_page(page, "register-form")
    assert page.get_by_label("County").input_value() != ""
    page.get_by_label("Accessibility needs").fill("Live captioning, please")
    page.get_by_role("button", name="Register").click()
    page.get_by_text("you are on the waitlist").first.wait_for()
    check_page(page, "event-waitlisted")
    _sign_out(page)

    sign_in_page(page, JAMES)
    page.goto("/events/mine")
    check_page(page, "my-registrations")
    page.get_by_role("button", name="Cancel my registration for Peer exchange").click()
    page.get_by_text("1 person is waiting for a seat").wait_for()  # the seat goes to Maria: asked first
    check_page(page, "confirm-cancel-registration")
    page.get_by_role("button", name="Yes, cancel and give up the seat").click()
    page.get_by_text("is cancelled").first.wait_for()
    _sign_out(page)

    sign_in_page(page, MARIA)
    page.goto("/events/mine")
    page.get_by_text("Registered").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .ics for Peer exchange").click()
    ics = download.value.path().read_bytes()
    [vevent] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(vevent["SUMMARY"]).startswith("Peer exchange")
    assert "peer-exchange" in ics.decode().replace("\r\n ", "")  # her own copy carries the join link
    page.goto(f"/events/{ids['small']}/register")
    check_page(page, "registration-change")
    page.goto(f"/events/{ids['past']}/feedback")
    check_page(page, "feedback-form")
    page.get_by_label("Excellent").check()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you for your feedback").wait_for()
    with live_server.app.app_context():
        statuses = dict(db.session.execute(select(EventRegistration.user_id, EventRegistration.status)
                                           .where(EventRegistration.event_id == ids["small"])).all())
        assert sorted(statuses.values()) == ["cancelled", "registered"]


def test_organizer_pages_and_check_in_on_a_phone(page, live_server, check_page):
    ids = _prepare(live_server.app)
    sign_in_page(page, "organizer@linkages.example.org")
    page.goto("/events/new")
    check_page(page, "event-new")
    page.get_by_label("Title").fill("Webinar: Family Stabilization referrals")
    page.get_by_label("Starts").fill("2027-04-20T10:00")
    page.get_by_label("Ends").fill("2027-04-20T09:00")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The end must be after the start.").first.wait_for()
    check_page(page, "event-new-errors")
    page.get_by_label("Ends").fill("2027-04-20T11:00")
    page.get_by_label("Repeats").select_option("monthly-weekday")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("It is a draft until you publish it").wait_for()
    check_page(page, "event-draft")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("The event is published").wait_for()
    page.get_by_role("link", name="Occurrences").click()
    check_page(page, "event-occurrences")

    convening = ids["convening"]
    for path, name in ((f"/events/{convening}/edit", "event-edit"),
                       (f"/events/{convening}/sessions/new", "session-new"),
                       (f"/events/{convening}/registrants", "registrants"),
                       (f"/events/{ids['past']}/materials", "materials"),
                       (f"/events/{ids['past']}/feedback/results", "feedback-results")):
        page.goto(path)
        check_page(page, name)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/events/{convening}/check-in")
    check_page(page, "check-in-phone")
    page.get_by_role("button", name="Check in Maria Lopez").click()
    page.get_by_role("button", name="Undo check-in of Maria Lopez").wait_for()
    page.goto(f"/events/month/{ids['convening_month']}")  # an agenda list, the bar one entry a day
    check_page(page, "events-month-convening-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the month agenda scrolls sideways on a phone ({width}px)"
    page.goto(f"/events/{convening}")
    check_page(page, "event-agenda-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the agenda scrolls sideways on a phone ({width}px)"
