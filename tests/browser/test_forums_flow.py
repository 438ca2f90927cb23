"""Forums in Chromium: join a cluster, start a thread with a preview, reply with a mention, read the
notification as the mentioned person and mark the answer. Every page is checked with axe-core and
the Nu HTML Checker.
"""
import pytest

from community.accounts.models import User
from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_join_post_preview_mention_notification_and_answer(page, live_server, check_page, make_user):
    with live_server.app.app_context():
        maria = make_user(name="Maria Lopez", email="maria@stanislaus.example.gov")
        make_user(name="James Chen", email="james@lacounty.example.gov")
        make_user(role="organizer", name="Renee Okafor", email="renee@cfpic.example.org")
        cluster = Cluster(slug="family-engagement", name="Family Engagement",
                          description="Engaging mutual families as partners.")
        cluster.memberships.append(ClusterMembership(user=maria, role="facilitator"))
        db.session.add(cluster)
        db.session.add(Cluster(slug="fiscal-sustainability", name="Fiscal & Sustainability",
                               description="Joint fiscal plans.", is_open=False))
        db.session.commit()

    sign_in_page(page, "james@lacounty.example.gov", "correct horse battery")
    page.get_by_role("link", name="Clusters").first.click()
    check_page(page, "clusters")
    page.get_by_role("link", name="Fiscal & Sustainability").click()
    page.get_by_role("button", name="Ask to join").click()
    page.get_by_text("Your request is sent").wait_for()
    check_page(page, "cluster-closed-pending")
    page.goto("/clusters/family-engagement")
    check_page(page, "cluster-not-member")
    page.get_by_role("button", name="Join this cluster").click()
    page.get_by_text("Welcome to Family Engagement").wait_for()
    page.get_by_role("link", name="Start a thread").first.click()
    page.get_by_label("Title").fill("Inviting the WTW case manager to Team Decision Meetings")
    page.get_by_label("What would you like to discuss?").fill(
        "How do your counties invite the **Welfare-to-Work** case manager before a TDM?")
    page.get_by_label("This is a question").check()
    assert page.get_by_role("heading", name="Live preview").count() == 0
    page.get_by_role("tab", name="Preview").click()  # the Write / Preview tabs
    page.locator("#compose-preview strong").wait_for()
    assert page.locator("#compose-preview strong").inner_text() == "Welfare-to-Work"
    assert not page.get_by_label("What would you like to discuss?").is_visible()
    check_page(page, "compose-thread")  # with the Preview tab open
    page.get_by_role("tab", name="Write").click()
    assert page.get_by_label("What would you like to discuss?").is_visible()
    assert page.get_by_role("button", name="Preview").count() == 0  # the tab does its job
    page.get_by_role("button", name="Start thread").click()
    page.get_by_text("Your thread is posted.").wait_for()
    check_page(page, "thread")
    page.get_by_role("link", name="Settings").count()
    page.goto("/notifications/settings")
    check_page(page, "notification-settings")
    _sign_out(page)

    sign_in_page(page, "maria@stanislaus.example.gov", "correct horse battery")
    page.get_by_role("link", name="Inviting the WTW case manager").first.click()
    page.get_by_label("Your reply").fill(
        "In Stanislaus the TDM facilitator invites the Linkages liaison. @james.chen happy to share our protocol.")
    page.get_by_role("button", name="Post reply").click()
    page.get_by_text("Your reply is posted.").wait_for()
    assert page.locator("a.mention").first.inner_text() == "@james.chen"
    page.goto("/clusters/fiscal-sustainability/members")
    assert page.title().startswith("Page not found")
    page.goto("/clusters/family-engagement/members")
    check_page(page, "members")
    page.goto("/flags")
    check_page(page, "flags")
    _sign_out(page)

    sign_in_page(page, "james@lacounty.example.gov", "correct horse battery")
    check_page(page, "home-with-latest")
    page.get_by_role("link", name="Notifications, 1 unread").click()
    check_page(page, "notifications")
    page.get_by_role("link", name="Maria Lopez mentioned you").click()
    page.get_by_role("button", name="Mark as answer").click()
    page.get_by_text("Marked as the answer.").wait_for()
    page.get_by_role("heading", name="Answer").wait_for()
    check_page(page, "thread-answered")
    page.get_by_role("link", name="Quote").last.click()
    check_page(page, "compose-reply-quote")
    page.go_back()
    page.get_by_role("link", name="Flag post #2").click()
    check_page(page, "flag-post")
    page.get_by_label("Reason").fill("Mentions our county's protocol before it is approved")
    page.get_by_role("button", name="Send the flag").click()
    page.get_by_text("The cluster's facilitators will look at it").wait_for()
    _sign_out(page)

    sign_in_page(page, "maria@stanislaus.example.gov", "correct horse battery")
    page.goto("/flags")
    page.get_by_text("Mentions our county's protocol").wait_for()
    page.get_by_role("link", name="Inviting the WTW case manager").first.click()
    page.get_by_role("link", name="Edit post #2").click()
    check_page(page, "edit-post")
    page.get_by_label("Post").fill("In Stanislaus the TDM facilitator invites the Linkages liaison.")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Your changes are saved.").wait_for()
    page.get_by_role("link", name="history of post #2").first.click()
    check_page(page, "post-history")
    page.go_back()
    page.get_by_role("link", name="Hide post #2").click()
    check_page(page, "hide-post")
    _sign_out(page)

    sign_in_page(page, "renee@cfpic.example.org", "correct horse battery")
    page.goto("/clusters/new")
    check_page(page, "new-cluster")
    page.goto("/clusters/family-engagement/edit")
    check_page(page, "edit-cluster")
    _sign_out(page)

    # The link every forum e-mail carries: a visitor's page, asking before it turns mail off.
    with live_server.app.app_context():
        from urllib.parse import urlparse

        from community.forums import notify

        link = urlparse(notify.email_off_url(db.session.scalar(User.by_email("maria@stanislaus.example.gov")))).path
    page.goto(link)
    check_page(page, "forum-email-off-ask")
    page.get_by_role("button", name="Stop forum e-mail").click()
    page.get_by_role("heading", name="Forum e-mail is off").wait_for()
    check_page(page, "forum-email-off-done")
