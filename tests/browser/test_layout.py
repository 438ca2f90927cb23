"""The layout on a desktop (1280 px) and a phone (390 px), for a member, an organizer and an admin.

Every main page is visited at both widths: no page scrolls sideways, the phone header is at most
64 px tall, the header's and the post actions' tap targets are at least 44 x 44 px on a phone, and
every page passes axe-core and the Nu HTML Checker (once per width); on a desktop the header stays
one 64 px row. Screenshots of each page are saved under tests/_artifacts/screenshots/.
"""
import re

import pytest

from community.cli import seed_demo
from community.extensions import db
from tests.support.browser import ARTIFACTS, sign_in_page

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
MEMBER, ORGANIZER, ADMIN = ("maria.lopez@stanislaus.example.gov", "organizer@linkages.example.org",
                            "admin@linkages.example.org")
NEWCOMER = "james.chen@lacounty.example.gov"


def _first_href(page, path, pattern):
    """The first link on `path` whose href matches `pattern` (demo ids are not fixed)."""
    page.goto(path)
    for href in page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if re.fullmatch(pattern, href.split("?")[0].split("#")[0]):
            return href
    raise AssertionError(f"no link matching {pattern} on {path}")


def _convening(page):
    """The demo's two-day convening: an agenda, workshop choices and a dozen registrants."""
    page.goto("/events/")
    return page.get_by_role("link", name="Linkages Convening 2027").first.get_attribute("href")


def _small_targets(page, selector):
    """Visible links, buttons and menu toggles under `selector` smaller than 44 x 44 px."""
    return page.eval_on_selector_all(selector, """nodes => nodes
        .filter(n => n.offsetParent !== null || getComputedStyle(n).position === 'fixed')
        .map(n => [n.getAttribute('aria-label') || n.textContent.trim().replace(/\\s+/g, ' '),
                   n.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.width < 44 || r.height < 44))
        .map(([name, r]) => `${name}: ${Math.round(r.width)} x ${Math.round(r.height)}`)""")


def _layout_problems(page, name, width):
    problems = []
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if overflow > width:
        problems.append(f"{name} scrolls sideways at {width} px: {overflow} px wide")
    header = page.locator(".site-header").bounding_box()
    if width < 600:
        if header["height"] > 64:
            problems.append(f"{name}: the phone header is {header['height']} px tall")
        small = _small_targets(page, ".site-header a, .site-header button, .site-header summary")
        small += _small_targets(page, ".post-actions a, .post-actions button")
        if small:
            problems.append(f"{name}: tap targets under 44 x 44 px: {small}")
    elif header["height"] > 64:
        problems.append(f"{name}: the desktop header wraps ({header['height']} px tall)")
    tiny = page.eval_on_selector_all("svg.chart text", """nodes => nodes
        .map(n => [n.textContent, n.getBoundingClientRect().height])
        .filter(([, h]) => h > 0 && h < 11)
        .map(([text, h]) => `${text}: ${h.toFixed(1)} px`)""")
    if tiny:
        problems.append(f"{name}: chart text drawn under 11 px tall: {tiny[:5]}")
    return problems


def _visit(page, check_page, role, width_name, pages):
    problems = []
    for name, path in pages:
        page.goto(path)
        page.wait_for_load_state()
        problems += _layout_problems(page, f"{name} ({width_name})", WIDTHS[width_name][0])
        page.screenshot(path=str(SCREENSHOTS / f"{role}-{width_name}-{name}.png"), full_page=True)
        check_page(page, f"{role}-{width_name}-{name}")
    return problems


def _walk(browser, live_server, check_page, role, email, pages_for):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                      viewport={"width": width, "height": height})
        context.set_default_timeout(15000)
        page = context.new_page()
        try:
            sign_in_page(page, email)
            pages = pages_for(page)
            problems += _visit(page, check_page, role, width_name, pages)
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def _seed(app):
    with app.app_context():
        seed_demo(app)
        db.session.commit()


def test_a_member_sees_every_main_page_fit_a_desktop_and_a_phone(browser, live_server, check_page):
    _seed(live_server.app)

    def pages(page):
        thread = _first_href(page, "/clusters/family-engagement", r"/t/\d+(/[\w-]+)?")
        resource = _first_href(page, "/library/", r"/library/\d+")
        event = _convening(page)
        return [("home", "/"), ("clusters", "/clusters"), ("cluster", "/clusters/family-engagement"),
                ("thread", thread), ("compose", "/clusters/family-engagement/new"), ("library", "/library/"),
                ("resource", resource), ("search", "/search?q=calworks"), ("events", "/events/"),
                ("month", "/events/month"), ("event", event), ("register", f"{event}/register"),
                ("my-registrations", "/events/mine"), ("newsletter", "/newsletter"), ("surveys", "/surveys/"),
                ("assistance", "/assistance/"), ("ask-for-help", "/assistance/new"),
                ("profile", "/people/maria-lopez"), ("notifications", "/notifications"),
                ("people", "/people?program=calworks"),
                # an open cluster she is not in: its recent titles, before joining
                ("cluster-preview", "/clusters/training-workforce")]

    _walk(browser, live_server, check_page, "member", MEMBER, pages)


def test_a_newcomers_home_with_its_checklist_fits_a_desktop_and_a_phone(browser, live_server, check_page):
    """James (the demo's newcomer) still has the getting-started checklist on his home page."""
    _seed(live_server.app)
    def pages(page):
        page.get_by_role("heading", name="Getting started").wait_for()
        return [("home-checklist", "/")]

    _walk(browser, live_server, check_page, "newcomer", NEWCOMER, pages)


def test_an_organizer_sees_the_organizer_pages_fit_a_desktop_and_a_phone(browser, live_server, check_page):
    _seed(live_server.app)

    from newsletters.models import Issue

    with live_server.app.app_context():
        sent = db.session.scalar(db.select(Issue.id).where(Issue.status == "sent").order_by(Issue.id))

    def pages(page):
        event = _convening(page)
        issue = _first_href(page, "/newsletters/manage", r"/newsletters/manage/\d+")
        results = _first_href(page, "/surveys/", r"/surveys/rounds/\d+/results")
        return [("home", "/"), ("registrants", f"{event}/registrants"), ("newsletter-composer", issue),
                ("newsletter-preview", f"{issue}/preview"), ("newsletter-sent", f"/newsletters/manage/{sent}"),
                ("newsletter-sent-preview", f"/newsletters/manage/{sent}/preview"),
                ("survey-results", results), ("surveys-manage", "/surveys/manage/"),
                ("assistance-dashboard", "/assistance/dashboard"), ("event-edit", f"{event}/edit")]

    _walk(browser, live_server, check_page, "organizer", ORGANIZER, pages)


def test_an_admin_sees_the_admin_pages_fit_a_desktop_and_a_phone(browser, live_server, check_page):
    _seed(live_server.app)

    def pages(page):
        return [("home", "/"), ("admin-people", "/admin/people"), ("admin-people-active", "/admin/people?status=active"),
                ("admin-invite", "/admin/invite"), ("admin-audit", "/admin/audit?area=account")]

    _walk(browser, live_server, check_page, "admin", ADMIN, pages)
