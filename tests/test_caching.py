"""Browsers keep what they may: versioned static files, 304s for public pages and feeds, never a
signed-in page; the layout adds no query to any page."""
import re

from community import caching
from tests.support.queries import queries_for


def _static_links(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_the_layout_links_static_files_with_their_content_version_and_those_are_kept_a_year(client):
    links = _static_links(client.get("/about").get_data(as_text=True))
    assert any(link.startswith("/static/css/site.css?v=") for link in links)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links
    for link in links:
        response = client.get(link)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == caching.IMMUTABLE


def test_a_static_file_asked_for_with_an_old_version_is_not_kept_a_year(client):
    response = client.get("/static/css/site.css?v=000000000000")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")


def test_a_public_page_answers_304_to_a_visitor_who_already_holds_it(client):
    first = client.get("/about")
    etag = first.headers["ETag"]
    again = client.get("/about", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    changed = client.get("/about", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.get_data() == first.get_data()


def test_the_public_calendar_feed_answers_304_when_unchanged(client):
    first = client.get("/events/calendar.ics")
    assert first.status_code == 200
    again = client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_signed_in_page_carries_no_etag_and_is_never_answered_304(client, make_user, sign_in):
    anonymous = client.get("/about")
    sign_in(make_user())
    response = client.get("/about", headers={"If-None-Match": anonymous.headers["ETag"]})
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_layout_runs_no_query_for_a_visitor_and_one_per_person_signed_in(
        app, client, make_user, sign_in):
    assert queries_for(client, app, "/about") == 0
    sign_in(make_user())
    signed_in = queries_for(client, app, "/about")
    # The live session with its person, and the notification bell's count: nothing per nav item.
    assert signed_in == queries_for(client, app, "/about") <= 2


def test_a_visitors_navigation_is_decided_once_per_app_and_a_members_on_every_request(
        app, client, make_user, sign_in):
    from community import ui

    asked = []
    ui.add_nav(app, "Probe", "forums.clusters", order=99, visible=lambda user: asked.append(user) or True)
    for _ in range(3):
        page = client.get("/about").get_data(as_text=True)
    assert len(asked) == 1 and "Probe" in page and ">Admin<" not in page
    admin = make_user(role="admin")
    sign_in(admin)
    for _ in range(2):
        page = client.get("/about").get_data(as_text=True)
    assert len(asked) == 3 and ">Admin<" in page
