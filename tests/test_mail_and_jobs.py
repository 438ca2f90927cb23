"""The mail module on a real SMTP server, and jobs that run only after their transaction commits."""
import os

import pytest

from community import jobs, mail
from community.accounts import services
from community.extensions import db
from tests.conftest import IN_CI, html_of, text_of

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

ran = []


def record_job(value):
    ran.append(value)


def test_messages_have_message_id_date_text_and_html(app):
    msg = mail.build_message(("Maria Lopez", "maria@example.org"), "Hello", "Plain body", "<p>HTML body</p>")
    assert msg["Message-ID"].startswith("<") and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    assert text_of(msg).strip() == "Plain body" and "<p>HTML body</p>" in html_of(msg)
    assert msg["To"] == "Maria Lopez <maria@example.org>"


def test_password_reset_mail_arrives_on_a_real_smtp_server(app_factory, make_user, smtp_server):
    application = app_factory(MAIL_URL=smtp_server.url)
    with application.app_context():
        user = make_user()
        client = application.test_client()
        client.post("/password/forgot", data={"email": user.email})
        [message] = smtp_server.wait_for(1)
        assert message["To"] == f"{user.name} <{user.email}>"
    assert "/password/reset/" in text_of(message) and "/password/reset/" in html_of(message)
    assert message["Message-ID"] and message["Date"]


def test_jobs_run_after_commit_and_never_after_rollback(app):
    ran.clear()
    jobs.enqueue(record_job, "rolled back")
    db.session.rollback()
    jobs.enqueue(record_job, "committed")
    db.session.commit()
    assert ran == []  # not inside the transaction's flow
    assert jobs.run_ready() == 1
    assert ran == ["committed"]


def test_mail_queued_in_a_failed_request_is_never_sent(app, make_user, outbox):
    admin = make_user(role="admin")
    services.request_account("Left Behind", "left@example.org", None, "cws", "SW")
    db.session.rollback()
    jobs.run_ready()
    assert outbox.to(admin.email) == []


def test_a_failing_job_does_not_break_the_others(app):
    ran.clear()
    jobs.enqueue(record_job)  # missing argument: raises
    jobs.enqueue(record_job, "second")
    db.session.commit()
    jobs.run_ready()
    assert ran == ["second"]


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError

    try:
        Redis.from_url(REDIS_URL).ping()
    except ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (it must be under CI=true)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_with_redis_jobs_go_to_rq_and_a_worker_runs_them(app_factory, make_user):
    _redis_or_skip()
    from rq import SimpleWorker

    application = app_factory(REDIS_URL=REDIS_URL)
    with application.app_context():
        queue = jobs.queue()
        queue.empty()
        ran.clear()
        jobs.enqueue(record_job, "via redis")
        db.session.commit()
        assert queue.count == 1 and ran == []
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert ran == ["via redis"]


def test_the_sender_address_and_domain_are_read_from_mail_from_in_one_place(app):
    app.config["MAIL_FROM"] = "Linkages Community <No-Reply@cfpic.org>"
    assert (mail.sender_address(), mail.sender_domain()) == ("No-Reply@cfpic.org", "cfpic.org")
    assert mail.sender_domain("someone@county.example.gov") == "county.example.gov"
    message = mail.build_message("a@example.org", "Hello", "Text")
    assert message["Message-ID"].endswith("@cfpic.org>")
    app.config["MAIL_FROM"] = ""
    assert mail.sender_domain() == "linkages.local"
