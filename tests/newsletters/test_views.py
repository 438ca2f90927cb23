"""Newsletter pages: the public archive and feed show sent issues only; organizer pages stay hidden;
list pages run a constant number of queries."""
import xml.etree.ElementTree as ET

import pytest

from community.extensions import db
from newsletters import delivery, provides, services
from newsletters.models import Delivery, Issue
from tests.newsletters.conftest import PUBLIC_THREAD

ATOM = "{http://www.w3.org/2005/Atom}"


from tests.support.queries import count_queries


def _sent_issue(organizer, compose_issue, subject):
    issue = compose_issue(organizer, subject)
    services.send_issue_now(organizer, issue)
    db.session.commit()
    from community import jobs

    jobs.run_ready()
    return db.session.get(Issue, issue.id)


def test_the_archive_and_feed_list_sent_issues_and_never_drafts(app, client, organizer,
                                                               compose_issue, make_subscribers):
    make_subscribers(2)
    sent = _sent_issue(organizer, compose_issue, "Linkages Spring 2027: Stanislaus at 26")
    draft = compose_issue(organizer, "Secret draft: budget cuts we are not announcing yet")

    archive = client.get("/newsletter").get_data(as_text=True)
    assert sent.subject in archive and draft.subject not in archive
    feed = client.get("/newsletter/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles == [sent.subject]
    link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert link == f"http://community.test/newsletter/{sent.id}-{sent.slug}"

    assert client.get(f"/newsletter/{draft.id}-{draft.slug}").status_code == 404
    assert client.get(f"/newsletter/{draft.id}/web.html").status_code == 404
    assert [d.id for d in provides.search_documents()] == [str(sent.id)]


def test_the_web_version_of_the_email_runs_no_script_and_has_no_recipient_links(
        app, client, organizer, compose_issue, make_subscribers):
    make_subscribers(1)
    sent = _sent_issue(organizer, compose_issue, "Linkages Spring 2027")
    web = client.get(f"/newsletter/{sent.id}/web.html")
    assert "script-src" not in web.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in web.headers["Content-Security-Policy"]
    html = web.get_data(as_text=True)
    assert "County spotlight: Fresno County" in html
    assert "unsubscribe" not in html.lower() and "Subscribe to the Linkages newsletter" in html
    assert client.get(f"/newsletter/{sent.id}-old-slug").status_code == 301


@pytest.fixture
def heard():
    """The (kind, ids) of every change announced during the test; the receiver goes afterwards."""
    from community.content import content_changed

    announced = []

    def receiver(kind, ids, removed):
        announced.append((kind, ids))

    content_changed.connect(receiver)
    yield announced
    content_changed.disconnect(receiver)


def test_a_sent_issue_is_announced_to_search(app, organizer, compose_issue, make_subscribers, heard):
    make_subscribers(1)
    sent = _sent_issue(organizer, compose_issue, "Announced")
    assert ("newsletter", [str(sent.id)]) in heard
    document = next(provides.search_documents([sent.id]))
    assert (document.visibility, document.url) == ("public", f"/newsletter/{sent.id}-announced")
    assert "Fresno" in document.text


ORGANIZER_PAGES = ["/newsletters/manage", "/newsletters/manage/subscribers",
                   "/newsletters/manage/subscribers/import", "/newsletters/manage/{id}",
                   "/newsletters/manage/{id}/preview", "/newsletters/manage/{id}/preview.html",
                   "/newsletters/manage/{id}/blocks/new/story"]


def test_organizer_pages_are_hidden_from_members_and_ask_visitors_to_sign_in(
        app, client, make_user, sign_in, organizer, compose_issue):
    paths = [p.format(id=compose_issue(organizer).id) for p in ORGANIZER_PAGES]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path
    sign_in(make_user())
    assert {client.get(path).status_code for path in paths} == {404}
    assert client.post(paths[3] + "/send").status_code == 404


def test_list_pages_run_the_same_number_of_queries_whatever_the_amount_of_data(
        app, client, organizer, sign_in, make_subscribers, compose_issue):
    sign_in(organizer)
    pages = ["/newsletter", "/newsletters/manage", "/newsletters/manage/subscribers",
             "/newsletter/feed.atom"]

    def counts():
        found = {}
        for path in pages:
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            found[path] = len(statements)
        return found

    make_subscribers(2)
    _sent_issue(organizer, compose_issue, "First")
    few = counts()
    make_subscribers(30, prefix="more")
    for n in range(3):
        _sent_issue(organizer, compose_issue, f"Issue {n}")
    compose_issue(organizer, "A draft")
    assert counts() == few


def test_the_progress_page_shows_counts_and_failures_in_constant_queries(
        app, client, organizer, sign_in, make_subscribers, compose_issue):
    make_subscribers(8)
    issue = compose_issue(organizer)
    assert delivery.claim_issue(issue.id, force=True)
    rows = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
    for row in rows[:3]:
        row.status, row.attempts, row.error = "failed", 3, "451 4.2.0 Mailbox busy"
    for row in rows[3:5]:
        row.status = "sent"
    db.session.commit()
    sign_in(organizer)
    with count_queries() as few:
        page = client.get(f"/newsletters/manage/{issue.id}").get_data(as_text=True)
    assert "Sending: 2 of 8 sent, 3 remaining." in page
    assert page.count("451 4.2.0 Mailbox busy") == 3
    rows[5].status = "failed"
    db.session.commit()
    with count_queries() as more:
        client.get(f"/newsletters/manage/{issue.id}")
    assert len(few) == len(more)


def test_the_block_form_shows_why_a_block_was_refused_and_keeps_the_input(
        app, client, organizer, sign_in, compose_issue, providers):
    issue = compose_issue(organizer)
    sign_in(organizer)
    response = client.post(f"/newsletters/manage/{issue.id}/blocks/new/highlights",
                           data={"heading": "From the clusters", "thread_ids": "13"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "private Family Engagement cluster" in page
    assert 'value="From the clusters"' in page
    response = client.post(f"/newsletters/manage/{issue.id}/blocks/new/highlights",
                           data={"thread_ids": str(PUBLIC_THREAD)})
    assert response.status_code == 302
    assert [b.kind for b in db.session.get(Issue, issue.id).blocks] == ["story", "cta", "highlights"]


def test_the_composer_names_a_missing_feature(app_factory, make_user, compose_issue):
    from tests.newsletters.test_composer import ONLY_NEWSLETTERS

    app = app_factory(FEATURES=ONLY_NEWSLETTERS)
    with app.app_context():
        organizer = make_user(role="organizer")
        issue = compose_issue(organizer)
        client = app.test_client()
        client.post("/sign-in", data={"email": organizer.email, "password": "correct horse battery"})
        response = client.post(f"/newsletters/manage/{issue.id}/blocks/new/events",
                               data={"start": "2027-01-01", "end": "2027-01-31"})
        assert "The calendar is not available" in response.get_data(as_text=True)


def test_scheduling_from_the_composer_reads_the_time_as_pacific(app, client, organizer, sign_in,
                                                                compose_issue):
    from datetime import datetime

    issue = compose_issue(organizer)
    sign_in(organizer)
    client.post(f"/newsletters/manage/{issue.id}/schedule", data={"send_at": "2030-01-15T09:30"})
    db.session.expire_all()
    issue = db.session.get(Issue, issue.id)
    assert (issue.status, issue.scheduled_at) == ("scheduled", datetime(2030, 1, 15, 17, 30))
    page = client.get(f"/newsletters/manage/{issue.id}").get_data(as_text=True)
    assert "Goes out Jan 15, 2030 9:30 AM PST." in page
    client.post(f"/newsletters/manage/{issue.id}/unschedule")
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "draft"


def test_send_now_twice_sends_once(app, client, organizer, sign_in, compose_issue,
                                   make_subscribers, outbox):
    make_subscribers(2)
    issue = compose_issue(organizer)
    sign_in(organizer)
    client.post(f"/newsletters/manage/{issue.id}/send", data={"confirmed": "1"})
    response = client.post(f"/newsletters/manage/{issue.id}/send", data={"confirmed": "1"},
                           follow_redirects=True)
    assert "This issue is already being sent, or was sent." in response.get_data(as_text=True)
    assert len(outbox.messages()) == 2


def test_send_now_first_asks_with_the_number_of_subscribers_and_sends_only_once_confirmed(
        app, client, organizer, sign_in, compose_issue, make_subscribers, outbox):
    make_subscribers(3)
    make_subscribers(2, status="paused", prefix="paused")
    issue = compose_issue(organizer)
    sign_in(organizer)
    compose = client.get(f"/newsletters/manage/{issue.id}").get_data(as_text=True)
    assert 'data-confirm="This will e-mail 3 confirmed subscribers. Send now?"' in compose

    asked = client.post(f"/newsletters/manage/{issue.id}/send")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "This will e-mail 3 confirmed subscribers." in page
    assert 'name="confirmed"' in page and f'action="/newsletters/manage/{issue.id}/send"' in page
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "draft" and outbox.messages() == []

    client.post(f"/newsletters/manage/{issue.id}/send", data={"confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "sent"
    assert len(outbox.messages()) == 3


@pytest.mark.parametrize("typed", ["2020-01-15T09:30", "2030-13-45T09:30"], ids=["in-the-past", "not-a-date"])
def test_a_refused_send_time_is_shown_beside_the_field_as_typed(app, client, organizer, sign_in,
                                                                  compose_issue, typed):
    issue = compose_issue(organizer)
    sign_in(organizer)
    response = client.post(f"/newsletters/manage/{issue.id}/schedule", data={"send_at": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'value="{typed}"' in page
    assert 'aria-invalid="true"' in page or 'class="error' in page
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).status == "draft"


def test_a_send_time_the_pacific_clocks_skip_is_refused(app, client, organizer, sign_in, compose_issue):
    issue = compose_issue(organizer)
    sign_in(organizer)
    response = client.post(f"/newsletters/manage/{issue.id}/schedule", data={"send_at": "2030-03-10T02:30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "2:30 AM does not exist on Mar 10, 2030" in page
    assert 'value="2030-03-10T02:30"' in page
    assert client.post(f"/newsletters/manage/{issue.id}/schedule",
                       data={"send_at": "2030-11-03T01:30"}).status_code == 302  # the hour that repeats
