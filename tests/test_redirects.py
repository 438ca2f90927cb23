"""Open redirects: every target a client chooses (next, back, Referer) stays on this site."""
import pytest

from community.accounts import services as accounts
from community.extensions import db
from community.security import is_local_path
from tests.forums.conftest import Forum

#: Spellings of "somewhere else" that browsers follow off-site, or that decode into such.
HOSTILE = [
    "https://evil.example/phish", "http://evil.example", "HTTPS://evil.example", "https:evil.example",
    "//evil.example/x", "///evil.example", "////evil.example", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example",
    "/%252F%252Fevil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    " //evil.example", "\x00//evil.example", "javascript:alert(1)", "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "evil.example", "http://localhost.evil.example/",
    "http://localhost@evil.example/", "",
]
#: Referer headers that are not a page of this site (the test client's host is localhost).
HOSTILE_REFERERS = [
    "https://evil.example/", "http://localhost.evil.example/", "http://localhost@evil.example/",
    "http://localhost//evil.example", "http://localhost/\\evil.example", "//evil.example",
    "javascript:alert(1)", "not a url at all",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_redirect_helper_refuses_every_off_site_spelling(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("target", ["/", "/people?county=kern", "/clusters/family-engagement#threads",
                                    "/t/12/a-thread?page=2", "/search?q=%22TDM%22", "/a/b%20c"])
def test_the_redirect_helper_keeps_paths_on_this_site(target):
    assert is_local_path(target)


@pytest.fixture
def forum(app, make_user):
    return Forum(make_user)


def _sign_in(client, user):
    assert client.post("/sign-in", data={"email": user.email,
                                         "password": "correct horse battery"}).status_code == 302


def test_sign_in_next_never_leaves_the_site(client, make_user):
    user = make_user()
    for target in HOSTILE:
        response = client.post("/sign-in", data={"email": user.email, "next": target,
                                                 "password": "correct horse battery"})
        if any(ord(c) < 32 and c not in "\t\r\n" for c in target):
            # A form field with control characters is refused on the form: no redirect at all.
            assert "Location" not in response.headers and response.status_code < 500, target
            continue
        assert response.headers["Location"] == "/", target
        client.post("/sign-out")


def test_watch_forms_back_never_leaves_the_site(client, forum):
    thread = forum.thread()
    _sign_in(client, forum.member)
    cluster_page = f"/clusters/{forum.cluster.slug}"
    for target in HOSTILE:
        response = client.post(f"{cluster_page}/watch", data={"level": "watching", "back": target})
        assert response.headers["Location"] == cluster_page, target
        response = client.post(f"/t/{thread.id}/watch", data={"level": "tracking", "back": target})
        assert response.headers["Location"] == f"/t/{thread.id}/{thread.slug}", target


def test_watch_forms_return_to_a_page_on_this_site(client, forum):
    _sign_in(client, forum.member)
    response = client.post(f"/clusters/{forum.cluster.slug}/watch",
                           data={"level": "watching", "back": "/clusters?view=mine"})
    assert response.headers["Location"] == "/clusters?view=mine"


def test_a_refused_join_goes_to_the_cluster_page_not_the_referer(client, forum):
    _sign_in(client, forum.member)  # already a member: joining again is refused
    for referer in HOSTILE_REFERERS:
        response = client.post(f"/clusters/{forum.cluster.slug}/join", headers={"Referer": referer})
        assert response.headers["Location"] == f"/clusters/{forum.cluster.slug}", referer


def test_a_refused_join_goes_to_the_cluster_page_even_from_another_page_of_the_site(client, forum):
    _sign_in(client, forum.member)
    response = client.post(f"/clusters/{forum.cluster.slug}/join",
                           headers={"Referer": "http://localhost/people"})
    assert response.headers["Location"] == f"/clusters/{forum.cluster.slug}"


def test_a_refused_forum_action_answers_403_and_never_follows_the_referer(client, forum):
    thread = forum.thread()
    _sign_in(client, forum.member)  # not a facilitator: may not pin
    for referer in HOSTILE_REFERERS + [f"http://localhost/t/{thread.id}"]:
        response = client.post(f"/t/{thread.id}/pin", headers={"Referer": referer})
        assert response.status_code == 403 and "Location" not in response.headers, referer


def test_admin_actions_return_to_the_referer_only_on_this_site(client, make_user):
    admin = make_user(role="admin")
    asker = accounts.request_account("Jordan Ellis", "jordan@placer.example.gov", None, "cws", "SW")
    db.session.commit()
    _sign_in(client, admin)
    for referer in HOSTILE_REFERERS:
        response = client.post(f"/admin/people/{asker.id}/role", data={"role": "member"},
                               headers={"Referer": referer})
        assert response.headers["Location"] == "/admin/people", referer


def test_admin_actions_return_to_the_list_they_came_from(client, make_user):
    admin = make_user(role="admin")
    asker = accounts.request_account("Jordan Ellis", "jordan@placer.example.gov", None, "cws", "SW")
    db.session.commit()
    _sign_in(client, admin)
    response = client.post(f"/admin/people/{asker.id}/approve",
                           headers={"Referer": "http://localhost/admin/people?status=pending&q=jordan"})
    assert response.headers["Location"] == "/admin/people?status=pending&q=jordan"
