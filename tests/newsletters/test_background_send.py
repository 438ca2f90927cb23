"""Without Redis, "Send now" only queues the send: a job worker beside the site does it."""
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from community import jobs
from community.extensions import db
from newsletters.models import Issue
from tests.newsletters.conftest import ROOT


def _sign_in(client, user):
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 302


def _waiting():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(jobs.Job))


def test_send_now_returns_at_once_and_the_background_worker_sends_while_the_page_shows_progress(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue):
    app = app_factory(JOBS_QUEUE="database", MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        make_subscribers(3)
        issue_id = compose_issue(organizer).id
        client = app.test_client()
        _sign_in(client, organizer)

        response = client.post(f"/newsletters/manage/{issue_id}/send", data={"confirmed": "1"})
        assert response.status_code == 302
        assert smtp_server.messages == []  # nothing was sent inside the request
        assert _waiting() == 1
        page = client.get(f"/newsletters/manage/{issue_id}").get_data(as_text=True)
        assert "Sending: 0 of 3 sent, 3 remaining." in page
        assert "1 job waiting" in page and 'data-refresh-seconds="5"' in page

        assert jobs.run_database_jobs(burst=True) >= 1
        assert len(smtp_server.wait_for(3)) == 3
        assert _waiting() == 0
        page = client.get(f"/newsletters/manage/{issue_id}").get_data(as_text=True)
        assert "to 3 subscribers" in page and "data-refresh-seconds" not in page
        assert db.session.get(Issue, issue_id).status == "sent"


def test_a_job_queued_in_a_transaction_that_rolls_back_is_never_run(app_factory):
    app = app_factory(JOBS_QUEUE="database")
    _RECORDED.clear()
    with app.test_request_context():
        jobs.enqueue(_record, "rolled back")
        db.session.rollback()
        jobs.enqueue(_record, "committed")
        db.session.commit()
    with app.app_context():
        assert _waiting() == 1
        assert jobs.run_database_jobs(burst=True) == 1
    assert _RECORDED == ["committed"]


_RECORDED = []


def _record(value):
    _RECORDED.append(value)


def _fail_always():
    raise RuntimeError("the mail server said no")


def test_a_failing_job_is_retried_later_and_kept_with_its_error_after_the_last_attempt(app_factory):
    app = app_factory(JOBS_QUEUE="database")
    with app.test_request_context():
        jobs.enqueue(_fail_always)
        db.session.commit()
    with app.app_context():
        for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
            assert jobs.run_database_jobs(burst=True) == 1
            job = db.session.scalars(select(jobs.Job)).one()
            assert job.attempts == attempt and "the mail server said no" in job.error
            if attempt < jobs.MAX_ATTEMPTS:
                assert job.status == "queued" and job.run_after > job.created_at
                job.run_after = job.created_at  # as if the wait had passed
                db.session.commit()
        assert job.status == "failed"
        assert jobs.run_database_jobs(burst=True) == 0


def test_the_worker_command_runs_the_queue_in_its_own_process_and_stops_on_ctrl_c(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue):
    app = app_factory(JOBS_QUEUE="database", MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        make_subscribers(2)
        issue = compose_issue(organizer)
        client = app.test_client()
        _sign_in(client, organizer)
        client.post(f"/newsletters/manage/{issue.id}/send", data={"confirmed": "1"})
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "MAIL_URL": smtp_server.url, "SECRET_KEY": app.config["SECRET_KEY"],
               "SITE_URL": app.config["SITE_URL"], "INSTANCE_PATH": app.instance_path,
               "REDIS_URL": "", "NEWSLETTER_RATE": "0", "LOG_LEVEL": "WARNING"}
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "community", "jobs",
                                   "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        try:
            assert len(smtp_server.wait_for(2, timeout=60)) == 2
            for _ in range(600):  # until the worker has finished the job (it deletes its row)
                if _waiting() == 0:
                    break
                time.sleep(0.05)
        finally:
            worker.send_signal(signal.SIGINT)
            _, errors = worker.communicate(timeout=30)
        assert worker.returncode == 0, errors.decode()[-2000:]
        db.session.expire_all()
        assert db.session.get(Issue, issue.id).status == "sent"
