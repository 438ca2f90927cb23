"""Notification e-mail through a real SMTP server on loopback: immediate mails and daily digests."""
import pytest
from sqlalchemy import select

from community.extensions import db
from community.forums import notify, services
from community.forums.models import Digest
from tests.conftest import html_of, text_of


@pytest.fixture
def mailed_forum(app_factory, smtp_server, make_user):
    app = app_factory(MAIL_URL=smtp_server.url)
    with app.app_context():
        from tests.forums.conftest import Forum

        yield Forum(make_user), smtp_server, app


def _run_jobs():
    from community.jobs import run_ready

    run_ready()


def test_an_immediate_mention_email_arrives_with_the_post_and_a_settings_link(mailed_forum):
    forum, smtp, app = mailed_forum
    notify.set_email_mode(forum.facilitator, "immediate")
    db.session.commit()
    thread = forum.thread()
    forum.reply(thread, body="@maria.lopez could you share the liaison mailbox step?")
    _run_jobs()
    (message,) = smtp.wait_for(1)
    assert message["To"] == "Maria Lopez <maria@stanislaus.example.gov>"
    assert message["Subject"] == f"Tanya Brooks mentioned you in “{thread.title}”"
    body = text_of(message)
    assert "could you share the liaison mailbox step?" in body
    assert "http://community.test/p/" in body and "http://community.test/notifications/settings" in body
    assert "Change your notification settings" in html_of(message)


def test_no_immediate_email_for_a_cluster_the_person_left_before_it_was_sent(mailed_forum):
    forum, smtp, app = mailed_forum
    notify.set_email_mode(forum.facilitator, "immediate")
    db.session.commit()
    thread = forum.thread()
    services.post_reply(thread, forum.other, "@maria.lopez one for you")
    services.leave_cluster(forum.cluster, forum.facilitator)
    db.session.commit()
    _run_jobs()
    assert smtp.messages == []


def test_the_daily_digest_groups_by_cluster_is_sent_once_and_never_empty(mailed_forum):
    forum, smtp, app = mailed_forum
    second = forum.add_cluster("Data & Evaluation", [forum.facilitator], [forum.other])
    db.session.commit()
    thread = forum.thread()
    forum.reply(thread, body="@maria.lopez first mention")
    other = forum.thread(author=forum.other, cluster=second, title="Matching mutual cases")
    forum.reply(other, author=forum.other, body="@maria.lopez second mention")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forums", "send-digests", "--period", "2026-11-23"])
    assert "Digests sent: 2" in result.output, result.output  # Maria's mentions, James's reply
    _run_jobs()
    messages = smtp.wait_for(2)
    (maria,) = [m for m in messages if m["To"].endswith("<maria@stanislaus.example.gov>")]
    body = text_of(maria)
    assert "== Family Engagement ==" in body and "== Data & Evaluation ==" in body
    assert "first mention" in body and "/notifications/settings" in body
    again = runner.invoke(args=["forums", "send-digests", "--period", "2026-11-23"])
    assert "Digests sent: 0" in again.output
    _run_jobs()
    assert len(smtp.messages) == 2
    assert sorted(db.session.scalars(select(Digest.notification_count))) == [1, 2]


def test_a_digest_run_for_the_same_period_after_new_activity_sends_nothing_twice(mailed_forum):
    forum, smtp, app = mailed_forum
    thread = forum.thread()
    forum.reply(thread, author=forum.member, body="@maria.lopez one")
    assert notify.send_digests(period="2026-11-23") == (1, 0)
    forum.reply(thread, author=forum.member, body="@maria.lopez two")
    assert notify.send_digests(period="2026-11-23") == (0, 1)
    assert notify.send_digests(period="2026-11-24") == (1, 0)
    _run_jobs()
    assert len(smtp.wait_for(2)) == 2


def test_digests_are_capped_and_leave_out_clusters_the_person_can_no_longer_see(mailed_forum):
    forum, smtp, app = mailed_forum
    secret = forum.add_cluster("Fiscal & Sustainability", [forum.other], [forum.facilitator])
    db.session.commit()
    hidden = forum.thread(author=forum.other, cluster=secret, title="Braiding funds for a position")
    forum.reply(hidden, author=forum.other, body="@maria.lopez confidential budget detail")
    services.leave_cluster(secret, forum.facilitator)
    db.session.commit()
    thread = forum.thread()
    for n in range(notify.DIGEST_LIMIT + 2):
        services.post_reply(thread, forum.other, f"@maria.lopez update {n}")
    db.session.commit()
    notify.send_digests(period="2026-11-23")
    _run_jobs()
    (message,) = [m for m in smtp.wait_for(2) if "maria@" in m["To"]]
    body = text_of(message)
    assert "Braiding funds" not in body and "confidential budget detail" not in body
    assert "… and 2 more on the site" in body
    assert body.count("mentioned you") == notify.DIGEST_LIMIT


def test_people_who_chose_no_email_get_no_digest(mailed_forum):
    forum, smtp, app = mailed_forum
    notify.set_email_mode(forum.facilitator, "none")
    thread = forum.thread()
    forum.reply(thread, author=forum.member, body="@maria.lopez hello")
    assert notify.send_digests(period="2026-11-23") == (0, 0)


def test_an_author_whose_thread_is_locked_gets_an_email_naming_the_thread(mailed_forum):
    forum, smtp, app = mailed_forum
    notify.set_email_mode(forum.member, "immediate")
    thread = forum.thread()
    services.set_locked(thread, forum.facilitator, True)
    db.session.commit()
    _run_jobs()
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == f"Maria Lopez locked your thread “{thread.title}”"
    assert f"http://community.test/t/{thread.id}/" in text_of(message)


def test_forum_mail_offers_one_click_unsubscribe_that_turns_forum_mail_off_without_signing_in(mailed_forum):
    from urllib.parse import urlparse

    forum, smtp, app = mailed_forum
    notify.set_email_mode(forum.facilitator, "immediate")
    db.session.commit()
    forum.reply(forum.thread(), body="@maria.lopez could you share the liaison mailbox step?")
    _run_jobs()
    (message,) = smtp.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlparse(message["List-Unsubscribe"].strip("<>")).path
    visitor = app.test_client()  # a mail provider: no session, no CSRF token
    page = visitor.get(path).get_data(as_text=True)
    assert "Stop forum e-mail?" in page and notify.email_mode(forum.facilitator) == "immediate"
    assert visitor.post(path, data={"List-Unsubscribe": "Wrong"}).status_code == 400
    response = visitor.post(path, data=b"List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "Forum e-mail is off" in response.get_data(as_text=True)
    db.session.expire_all()
    assert notify.email_mode(forum.facilitator) == "none"
    assert visitor.post(path[:-2] + "xx", data={"List-Unsubscribe": "One-Click"}).status_code == 410
    forum.reply(forum.thread(title="Another thread about TDMs"), body="@maria.lopez and this one?")
    _run_jobs()
    assert len(smtp.messages) == 1  # nothing more by e-mail
