"""The library and the Toolkit on a desktop (1280 px) and a phone (390 px), with and without JavaScript.

The demo library is loaded; each page is checked with axe-core and the Nu HTML Checker, none may
scroll sideways, and a screenshot of each is saved under tests/_artifacts/screenshots/. The filter panel is a plain GET form: it works with JavaScript turned off.
"""
import pytest

from community.cli import seed_demo
from community.extensions import db
from tests.support.browser import ARTIFACTS, sign_in_page

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
PAGES = [("library", "/library/"), ("library-filtered", "/library/?county=stanislaus&sort=title"),
         ("library-search", "/library/?q=calworks+sanction&sort=relevance"),
         ("library-nothing", "/library/?county=alpine"), ("toolkit", "/library/toolkit"),
         ("toolkit-area", "/library/toolkit/definitional"), ("toolkit-curate", "/library/toolkit/training/manage")]


def test_library_and_toolkit_pages_fit_a_desktop_and_a_phone(browser, live_server, check_page):
    with live_server.app.app_context():
        seed_demo(live_server.app)
        db.session.commit()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                      viewport={"width": width, "height": height})
        context.set_default_timeout(15000)
        page = context.new_page()
        try:
            sign_in_page(page, "organizer@linkages.example.org")
            for name, path in PAGES:
                page.goto(path)
                page.wait_for_load_state()
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    problems.append(f"{name} at {width} px is {scroll_width} px wide")
                page.screenshot(path=str(SCREENSHOTS / f"organizer-{width_name}-{name}.png"), full_page=True)
                check_page(page, f"{width_name}-{name}")
        finally:
            context.close()
    assert problems == [], "\n".join(problems)


def test_a_visitor_filters_and_removes_a_chip_without_javascript(browser, live_server):
    """(axe-core needs JavaScript: the same pages are checked with it in the test above.)"""
    with live_server.app.app_context():
        seed_demo(live_server.app)
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto("/library/")
        panel = page.get_by_role("search", name="Find resources")
        total = page.get_by_role("heading", level=2).filter(has_text="resources").first.inner_text()
        panel.get_by_label("Type").select_option(value="protocol")
        panel.get_by_label("Sort by").select_option(label="Title")
        panel.get_by_role("button", name="Show resources").click()
        page.get_by_role("link", name="Type: Practice protocol (remove this filter)").wait_for()
        narrowed = page.get_by_role("heading", level=2).filter(has_text="resource").first.inner_text()
        assert narrowed != total
        titles = page.locator(".resource-item h3").all_inner_texts()
        assert titles == sorted(titles, key=str.casefold) and titles
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Type: Practice protocol (remove this filter)").click()
        page.get_by_role("heading", name=total).wait_for()
        assert page.get_by_label("Sort by").input_value() == "title"
        page.get_by_role("link", name="The Linkages Toolkit").click()
        page.get_by_role("link", name="Assessment & Planning", exact=True).click()
        page.get_by_role("heading", name="Start here").wait_for()
        page.get_by_role("link", name="Everything tagged Assessment & Planning in the library").click()
        page.get_by_role("link", name="Toolkit area: Assessment & Planning (remove this filter)").wait_for()
        assert page.get_by_label("Toolkit area").input_value() == "assessment-planning"
    finally:
        context.close()
