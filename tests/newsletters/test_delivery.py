"""Sending: real SMTP on loopback, every message parsed; crashes, races and unsubscribes mid-send."""
import signal
import time
from collections import Counter
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from community import jobs
from community.extensions import db
from newsletters import delivery, services
from newsletters.models import Delivery, Subscriber
from tests.conftest import html_of, text_of
from tests.newsletters.conftest import issue_status, make_due, worker_process


def _send_now(organizer, issue):
    services.send_issue_now(organizer, issue)
    db.session.commit()
    jobs.run_ready()


def _copies(server):
    return Counter(m["To"].addresses[0].addr_spec for m in server.messages)


def test_full_send_builds_proper_multipart_messages_whose_one_click_unsubscribe_works(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue):
    app = app_factory(MAIL_URL=smtp_server.url, WTF_CSRF_ENABLED=True, NEWSLETTER_RATE=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        readers = make_subscribers(3)
        make_subscribers(2, status="paused", prefix="paused")
        make_subscribers(1, status="pending", prefix="pending")
        issue = compose_issue(organizer)
        _send_now(organizer, issue)

        messages = smtp_server.wait_for(3)
        assert sorted(_copies(smtp_server)) == sorted(r.email for r in readers)
        for message in messages:
            assert message.get_content_type() == "multipart/alternative"
            assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
            assert message["Subject"] == issue.subject
            assert message["Message-ID"].startswith(f"<newsletter-{issue.id}-")
            assert message["Date"]
            assert message["List-Id"] == "Linkages Community newsletter <newsletter.linkages.example.org>"
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            unsubscribe = message["List-Unsubscribe"].strip("<>")
            assert unsubscribe.startswith("http://community.test/newsletter/unsubscribe/")
            html, text = html_of(message), text_of(message)
            assert "<script" not in html and "<style>" not in html.split("</head>")[1]
            assert 'style="' in html and "width: 600px" in html
            assert 'src="http://community.test/static/favicon.svg"' in html
            assert unsubscribe in html and unsubscribe in text
            assert app.config["ORGANIZATION_ADDRESS"] in html and app.config["ORGANIZATION_ADDRESS"] in text
            assert f"http://community.test/newsletter/{issue.id}-" in html  # view in browser
            assert "County spotlight: Fresno County" in html and "COUNTY SPOTLIGHT" in text

        first = messages[0]
        address = first["To"].addresses[0].addr_spec
        client = app.test_client()
        # Exactly what a mail provider sends (RFC 8058): no cookie, no CSRF token.
        response = client.post(urlparse(first["List-Unsubscribe"].strip("<>")).path,
                               data=b"List-Unsubscribe=One-Click",
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        statuses = {r.email: r.status for r in db.session.scalars(select(type(readers[0])))}
        assert statuses[address] == "unsubscribed"
        assert sum(1 for s in statuses.values() if s == "unsubscribed") == 1
        assert issue_status(issue.id) == "sent"
        assert Delivery.progress(issue.id)["sent"] == 3


def test_temporary_failures_are_retried_a_bounded_number_of_times_and_refusals_reported(
        app_factory, scripted_smtp, make_user, make_subscribers, compose_issue):
    server = scripted_smtp(refusals={
        "reader0@county0.example.gov": ["451 4.2.0 Mailbox busy"] * 5,
        "reader1@county1.example.gov": ["451 4.2.0 Try again later"],
        "reader2@county2.example.gov": ["550 5.1.1 No such mailbox"]})
    app = app_factory(MAIL_URL=server.url, NEWSLETTER_RATE=0, NEWSLETTER_MAX_ATTEMPTS=3,
                      NEWSLETTER_RETRY_SECONDS=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        make_subscribers(4)
        issue = compose_issue(organizer)
        _send_now(organizer, issue)

        rows = {d.subscriber.email: d for d in db.session.scalars(select(Delivery))}
        busy, later, gone, fine = (rows[f"reader{n}@county{n}.example.gov"] for n in range(4))
        assert (busy.status, busy.attempts, busy.error) == ("failed", 3, "451 4.2.0 Mailbox busy")
        assert (later.status, later.attempts, later.error) == ("sent", 2, "")
        assert (gone.status, gone.attempts, gone.error) == ("failed", 1, "550 5.1.1 No such mailbox")
        assert (fine.status, fine.attempts) == ("sent", 1)
        assert _copies(server) == Counter({later.subscriber.email: 1, fine.subscriber.email: 1})
        assert issue_status(issue.id) == "sent"


def test_unsubscribing_between_batches_stops_the_rest_of_the_send_to_that_person(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue, monkeypatch):
    app = app_factory(MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0, NEWSLETTER_BATCH_SIZE=2)
    with app.app_context():
        organizer = make_user(role="organizer")
        readers = make_subscribers(6)
        leaving = readers[-1]
        issue = compose_issue(organizer)
        link = services.unsubscribe_url(leaving)
        client = app.test_client()
        claim_batch, batches = delivery.claim_batch, []

        def claim_and_then_unsubscribe_the_last_reader(issue_id, size):
            claimed = claim_batch(issue_id, size)
            batches.append([row.email for row in claimed])
            if len(batches) == 1:  # after the first batch was claimed, the reader leaves
                client.post(urlparse(link).path, data={"List-Unsubscribe": "One-Click"})
            return claimed

        monkeypatch.setattr(delivery, "claim_batch", claim_and_then_unsubscribe_the_last_reader)
        _send_now(organizer, issue)

        received = _copies(smtp_server)
        assert leaving.email not in received
        assert sorted(received) == sorted(r.email for r in readers[:-1])
        assert len(batches[0]) == 2
        row = db.session.scalar(select(Delivery).where(Delivery.subscriber_id == leaving.id))
        assert row.status == "skipped"
        assert issue_status(issue.id) == "sent"


def test_an_unsubscribe_after_a_row_was_claimed_is_still_honoured(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue, monkeypatch):
    app = app_factory(MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0, NEWSLETTER_BATCH_SIZE=10)
    with app.app_context():
        organizer = make_user(role="organizer")
        readers = make_subscribers(3)
        issue = compose_issue(organizer)
        claim_batch = delivery.claim_batch

        def claim_then_unsubscribe(issue_id, size):
            claimed = claim_batch(issue_id, size)
            if claimed:
                services.unsubscribe(readers[1])
                db.session.commit()
            return claimed

        monkeypatch.setattr(delivery, "claim_batch", claim_then_unsubscribe)
        _send_now(organizer, issue)
        assert sorted(_copies(smtp_server)) == sorted([readers[0].email, readers[2].email])


def test_a_scheduled_issue_is_claimed_once_even_when_asked_twice(app, organizer, make_subscribers,
                                                                compose_issue):
    make_subscribers(4)
    issue = make_due(compose_issue(organizer))
    assert delivery.claim_issue(issue.id) is True
    assert delivery.claim_issue(issue.id) is False
    db.session.commit()
    assert delivery.start_due_sends() == []
    assert db.session.scalar(select(db.func.count()).select_from(Delivery)) == 4


def test_two_worker_processes_racing_on_one_scheduled_issue_send_each_copy_once(
        app, smtp_server, organizer, make_subscribers, compose_issue):
    expected = Counter({r.email: 1 for r in make_subscribers(12)})
    issue_id = make_due(compose_issue(organizer)).id
    db.session.remove()  # leave the database to the workers
    workers = [worker_process(app, smtp_server.url, NEWSLETTER_RATE=0, NEWSLETTER_BATCH_SIZE=3)
               for _ in range(2)]
    outputs = [w.communicate(timeout=60) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert _copies(smtp_server) == expected
    assert sum(b"Sending issue" in out for out, _ in outputs) == 1  # one scheduler claimed it
    assert issue_status(issue_id) == "sent"


def test_a_worker_killed_mid_send_resumes_without_repeating_or_skipping_anyone(
        app, scripted_smtp, organizer, make_subscribers, compose_issue):
    server = scripted_smtp(hold_at=6)
    expected = Counter({r.email: 1 for r in make_subscribers(10)})
    issue_id = make_due(compose_issue(organizer)).id
    db.session.remove()
    worker = worker_process(app, server.url, NEWSLETTER_RATE=0, NEWSLETTER_BATCH_SIZE=4,
                            NEWSLETTER_LEASE_SECONDS=1)
    try:
        assert server.handler.holding.wait(30), worker.stderr.read() if worker.poll() else "no hold"
        worker.send_signal(signal.SIGKILL)  # kill -9 while it waits for the server's reply
        worker.wait(10)
    finally:
        server.handler.release.set()
    assert len(server.messages) == 5
    db.session.expire_all()
    assert Delivery.progress(issue_id)["sent"] == 5
    assert issue_status(issue_id) == "sending"

    db.session.remove()
    time.sleep(1.1)  # the dead worker's lease runs out; cron starts a new worker
    resumed = worker_process(app, server.url, NEWSLETTER_RATE=0, NEWSLETTER_BATCH_SIZE=4,
                             NEWSLETTER_LEASE_SECONDS=1)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert f"Sending issue(s): {issue_id}" in out.decode()
    assert _copies(server) == expected
    assert issue_status(issue_id) == "sent"
    assert Delivery.progress(issue_id)["sent"] == 10


def test_messages_carry_a_stable_message_id_so_a_resent_copy_can_be_recognised(
        app, organizer, make_subscribers, compose_issue, outbox):
    make_subscribers(2)
    issue = compose_issue(organizer)
    _send_now(organizer, issue)
    ids = sorted(m["Message-ID"] for m in outbox.messages())
    subscriber_ids = sorted(d.subscriber_id for d in db.session.scalars(select(Delivery)))
    assert ids == sorted(f"<newsletter-{issue.id}-{s}@linkages.example.org>" for s in subscriber_ids)


def test_with_redis_the_send_runs_on_an_rq_worker(app_factory, smtp_server, make_user,
                                                  make_subscribers, compose_issue):
    from rq import SimpleWorker

    from tests.test_mail_and_jobs import REDIS_URL, _redis_or_skip

    _redis_or_skip()
    app = app_factory(REDIS_URL=REDIS_URL, MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0)
    with app.app_context():
        queue = jobs.queue()
        organizer = make_user(role="organizer")
        expected = Counter({r.email: 1 for r in make_subscribers(3)})
        issue = compose_issue(organizer)
        issue_id = issue.id
        queue.empty()  # making the people queued their search updates; only the send counts here
        services.send_issue_now(organizer, issue)
        db.session.commit()
        assert queue.count == 1 and smtp_server.messages == []
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert _copies(smtp_server) == expected
        assert issue_status(issue_id) == "sent"


def test_an_unreachable_mail_server_pauses_the_send_and_cron_resumes_it_later(
        app_factory, smtp_server, make_user, make_subscribers, compose_issue):
    from tests.support.mailserver import free_port

    app = app_factory(MAIL_URL=f"smtp://127.0.0.1:{free_port()}?timeout=2", NEWSLETTER_RATE=0,
                      NEWSLETTER_LEASE_SECONDS=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        expected = Counter({r.email: 1 for r in make_subscribers(3)})
        issue = compose_issue(organizer)
        _send_now(organizer, issue)
        rows = db.session.scalars(select(Delivery)).all()
        assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}
        assert "Not sent yet: ConnectionRefusedError" in rows[0].error
        assert issue_status(issue.id) == "sending"

        app.config["MAIL_URL"] = smtp_server.url  # the relay is back
        assert delivery.start_due_sends() == [issue.id]
        db.session.commit()
        jobs.run_ready()
        assert _copies(smtp_server) == expected
        assert issue_status(issue.id) == "sent"


def test_a_long_send_hands_over_to_fresh_jobs_without_repeats(app_factory, smtp_server, make_user,
                                                             make_subscribers, compose_issue):
    app = app_factory(MAIL_URL=smtp_server.url, NEWSLETTER_RATE=40, NEWSLETTER_BATCH_SIZE=1,
                      NEWSLETTER_JOB_SECONDS=0.06)
    with app.app_context():
        organizer = make_user(role="organizer")
        expected = Counter({r.email: 1 for r in make_subscribers(6)})
        issue = compose_issue(organizer)
        services.send_issue_now(organizer, issue)
        db.session.commit()
        ran = jobs.run_ready()
        assert ran >= 3  # the first job ran out of time and continued in new ones
        assert _copies(smtp_server) == expected
        assert issue_status(issue.id) == "sent"


def test_a_temporary_refusal_waits_before_the_next_attempt(app_factory, scripted_smtp, make_user,
                                                          make_subscribers, compose_issue):
    server = scripted_smtp(refusals={"reader0@county0.example.gov": ["451 4.7.1 Greylisted"]})
    app = app_factory(MAIL_URL=server.url, NEWSLETTER_RATE=0, NEWSLETTER_RETRY_SECONDS=3600,
                      NEWSLETTER_LEASE_SECONDS=0)
    with app.app_context():
        organizer = make_user(role="organizer")
        readers = make_subscribers(2)
        issue = compose_issue(organizer)
        _send_now(organizer, issue)
        assert list(_copies(server)) == [readers[1].email]
        assert Delivery.progress(issue.id)["pending"] == 1
        assert issue_status(issue.id) == "sending"  # not finished while someone waits

        app.config["NEWSLETTER_RETRY_SECONDS"] = 0  # an hour later, cron runs send-due
        assert delivery.start_due_sends() == [issue.id]
        db.session.commit()
        jobs.run_ready()
        assert _copies(server) == Counter({r.email: 1 for r in readers})
        assert issue_status(issue.id) == "sent"


def _header_lines(raw, name):
    """The header `name` as the bytes on the wire: its first line and continuation lines."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    found = []
    for number, line in enumerate(head):
        if line.lower().startswith(name.lower().encode() + b":"):
            found.append(line)
            found += [rest for rest in _continuations(head[number + 1:])]
    return found


def _continuations(lines):
    for line in lines:
        if not line[:1] in (b" ", b"\t"):
            return
        yield line


def test_list_unsubscribe_goes_on_the_wire_as_a_plain_url_even_when_longer_than_a_line(
        app_factory, smtp_server, make_user, compose_issue):
    site = "https://linkages-community.cfpic.example.org/county-partners/child-welfare-and-calworks"
    app = app_factory(MAIL_URL=smtp_server.url, NEWSLETTER_RATE=0, SITE_URL=site)
    with app.app_context():
        organizer = make_user(role="organizer")
        # The token signs the address, so a long address makes a long token.
        reader = Subscriber(email="maria.del.carmen.hernandez-villalobos@social-services.stanislaus"
                            ".ca.example.gov", name="María del Carmen")
        reader.confirm(source="import")
        db.session.add(reader)
        db.session.commit()
        issue = compose_issue(organizer)
        _send_now(organizer, issue)

        smtp_server.wait_for(1)
        [raw] = smtp_server.raw_messages
        [line] = _header_lines(raw, "List-Unsubscribe")
        assert line.startswith(b"List-Unsubscribe: <" + site.encode() + b"/newsletter/unsubscribe/")
        assert line.endswith(b">") and len(line) > 150  # one unbroken line, under SMTP's 998
        assert _header_lines(raw, "List-Unsubscribe-Post") == [
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
        [archive] = _header_lines(raw, "List-Archive")
        assert archive == b"List-Archive: <" + site.encode() + b"/newsletter>"
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert b"=?utf-8?" not in b"\r\n".join(
            _header_lines(raw, "List-Unsubscribe") + _header_lines(raw, "List-Archive"))
        assert all(len(line) <= 998 for line in head.split(b"\r\n"))
        # The URL on the wire is the recipient's own working link.
        path = line[len(b"List-Unsubscribe: <"):-1].decode().removeprefix(site)
        response = app.test_client().post(path, data=b"List-Unsubscribe=One-Click",
                                          content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(Subscriber, reader.id).status == "unsubscribed"


def test_a_thousand_one_click_unsubscribes_from_one_provider_address_all_succeed(
        app_factory, make_subscribers):
    app = app_factory(RATELIMIT_ENABLED=True, LIMIT_NEWSLETTER_PREFERENCES="20 per minute")
    with app.app_context():
        readers = make_subscribers(1000)
        paths = [urlparse(services.unsubscribe_url(r)).path for r in readers]
        client = app.test_client()
        statuses = Counter(
            client.post(path, data=b"List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded",
                        environ_base={"REMOTE_ADDR": "209.85.220.41"}).status_code
            for path in paths)
        assert statuses == {200: 1000}
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Subscriber).where(
            Subscriber.status == "unsubscribed")) == 1000


def test_marks_that_fail_while_opening_never_hand_a_half_set_connection_back(app, monkeypatch):
    """The marks' connection runs in autocommit with prepared statements: if opening it fails
    half way, it is dropped, never returned to the pool for an ORM session to run without
    transactions; and each opening names its statements afresh."""
    opened = delivery.Marks._open

    def fails_after_setting_up(self):
        opened(self)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(delivery.Marks, "_open", fails_after_setting_up)
    with pytest.raises(RuntimeError):
        delivery.Marks()
    monkeypatch.undo()
    names = []
    for _ in range(2):
        marks = delivery.Marks()
        names.append(getattr(marks, "pg_names", {}))
        marks.close()
    if db.engine.dialect.name == "postgresql":
        assert set(names[0].values()).isdisjoint(names[1].values())
        connection = db.engine.raw_connection()
        try:
            assert connection.driver_connection.autocommit is False
            prepared = connection.cursor()
            prepared.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'newsletter_marks_%'")
            assert prepared.fetchone()[0] == 0
        finally:
            connection.close()
