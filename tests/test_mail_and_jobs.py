"""The mail module on a real SMTP server, and jobs that run only after their transaction commits."""
import os
import re
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import getaddresses

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

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
    assert msg["Auto-Submitted"] == "auto-generated"  # RFC 3834: robots answer nothing back


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


def record_ids(kind, ids, removed=False):
    ran.append((kind, list(ids), removed))


def _merged_calls():
    """Seven calls in one transaction: thread 1, thread 2 and 1 again, a resource, thread 3,
    removed thread 4 and removed thread 5."""
    jobs.enqueue_merged(record_ids, "thread", ids=["1"])
    jobs.enqueue_merged(record_ids, "thread", ids=["2", "1"])
    jobs.enqueue_merged(record_ids, "resource", ids=["5"])
    jobs.enqueue_merged(record_ids, "thread", ids=["3"])
    jobs.enqueue_merged(record_ids, "thread", ids=["4"], removed=True)
    jobs.enqueue_merged(record_ids, "thread", ids=["5"], removed=True)
    jobs.enqueue(record_job, "in between")
    jobs.enqueue_merged(record_ids, "thread", ids=["6"], removed=True)


#: What the calls above run: merged only into the call of the same function just before, so the
#: order of the calls is kept.
MERGED = [("thread", ["1", "2"], False), ("resource", ["5"], False), ("thread", ["3"], False),
          ("thread", ["4", "5", "6"], True), "in between"]


def test_calls_queued_together_merge_into_the_last_call_with_the_same_arguments(app):
    ran.clear()
    _merged_calls()
    db.session.commit()
    assert jobs.run_ready() == 5
    assert ran == MERGED
    # a new transaction starts new jobs; a rolled-back one leaves nothing to merge into
    ran.clear()
    jobs.enqueue_merged(record_ids, "thread", ids=["7"])
    db.session.rollback()
    jobs.enqueue_merged(record_ids, "thread", ids=["8"])
    db.session.commit()
    jobs.enqueue_merged(record_ids, "thread", ids=["9"])
    db.session.commit()
    jobs.run_ready()
    assert ran == [("thread", ["8"], False), ("thread", ["9"], False)]


def test_a_merged_job_holds_at_most_the_ids_it_is_given(app):
    ran.clear()
    for number in range(7):
        jobs.enqueue_merged(record_ids, "resource", ids=[str(number)], most=3)
    db.session.commit()
    jobs.run_ready()
    assert ran == [("resource", ["0", "1", "2"], False), ("resource", ["3", "4", "5"], False),
                   ("resource", ["6"], False)]


def test_merged_calls_reach_the_database_worker_whole_and_in_order(app_factory):
    application = app_factory(JOBS_QUEUE="database")
    with application.app_context(), jobs.deferred():
        ran.clear()
        _merged_calls()
        db.session.flush()  # the first rows are written before the later calls merge into them
        jobs.enqueue_merged(record_ids, "thread", ids=["7"], removed=True)
        db.session.commit()
        assert jobs.waiting_jobs() == 5 and ran == []
        jobs.run_database_jobs(burst=True)
    assert ran == [*MERGED[:3], ("thread", ["4", "5", "6", "7"], True), "in between"]


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


# Names people really have, and names written to smuggle in a recipient: each must stay one
# mailbox on the wire, and the envelope must name the stored address only.
HOSTILE_NAMES = ['Pat Doe, eve@attacker.example, Ü', 'James "Jim" Chen, Jr. 🎉', "O'Brien, Siobhán 🎉 (Supervisor)",
                 "Renée O'Kafor; Organizer <CFPIC>", 'Eve, "the" Tester', "Back\\slash; <x@y.example>"]
ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _wire_checks(raw):
    """What every message must be on the wire: 7-bit, CRLF, lines of at most 78 characters,
    encoded words of at most 75 (RFC 5322 §2.1.1, RFC 2047 §2, RFC 2045 §6.7)."""
    assert all(byte < 128 for byte in raw), "8-bit data without BODY=8BITMIME"
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78, max(lines, key=len)
    assert all(len(word) <= 75 for word in ENCODED_WORD.findall(raw))


def _one_mailbox(raw, name, address):
    """Both of Python's parsers (the modern one and compat32, as older mail readers) read To as
    exactly the one mailbox; decoded as RFC 2047 §6.2 says (the space between two encoded words
    is not part of the text), the name is the person's. (The modern parser keeps that space
    inside a display name: a name long enough to need two encoded words gains a space there.)"""
    parsed = message_from_bytes(raw, policy=policy.default)
    (only,) = parsed["To"].addresses
    assert only.addr_spec == address and only.display_name.replace(" ", "") == name.replace(" ", "")
    legacy = message_from_bytes(raw, policy=policy.compat32)
    [(shown, addr)] = getaddresses([legacy["To"]])
    assert addr == address
    assert str(make_header(decode_header(shown))) == name if "=?" in shown else shown == name


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_with_commas_or_quotes_never_adds_a_recipient_on_the_wire(app_factory, make_user, smtp_server, name):
    application = app_factory(MAIL_URL=smtp_server.url)
    with application.app_context():
        email = make_user(name=name).email
        application.test_client().post("/password/forgot", data={"email": email})
        smtp_server.wait_for(1)
    [envelope], [raw] = smtp_server.handler.envelopes, smtp_server.raw_messages
    assert envelope.rcpt_tos == [email]
    assert "BODY=8BITMIME" not in envelope.mail_options
    _wire_checks(raw)
    _one_mailbox(raw, name, email)


def test_a_subject_in_any_script_keeps_its_spaces_on_the_wire(app_factory, smtp_server):
    subject = ('You are registered: Webinar: "Family Engagement", Part 2; Q&A \\ Ñandú 🎉 — ورشة عمل '
               "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft")
    application = app_factory(MAIL_URL=smtp_server.url)
    with application.app_context():
        mail.send_now(mail.build_message(("Siobhán O'Brien", "so@example.org"), subject,
                                         "Ñandú — line one\n" + "é" * 300, "<p>Ñandú</p>"))
        [raw] = smtp_server.raw_messages
    _wire_checks(raw)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert str(make_header(decode_header(message_from_bytes(raw, policy=policy.compat32)["Subject"]))) == subject
    assert parsed.get_body(("plain",)).get_content().startswith("Ñandú — line one\n" + "é" * 300)


@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the app is only read
@given(name=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=90),
       subject=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=200))
def test_any_name_and_subject_make_one_mailbox_and_the_same_subject(app, name, subject):
    name, subject = " ".join(name.split()), " ".join(subject.split())
    assume(name and subject)
    msg = mail.build_message((name, "someone@example.org"), subject, "Body")
    assert mail.recipients(msg) == ["someone@example.org"]
    raw = msg.as_bytes(policy=mail.POLICY.clone(linesep="\r\n"))
    _wire_checks(raw)
    _one_mailbox(raw, name, "someone@example.org")
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


def test_a_blind_copy_reaches_its_recipient_and_no_one_sees_it(app_factory, smtp_server):
    application = app_factory(MAIL_URL=smtp_server.url)
    with application.app_context():
        msg = mail.build_message(("Maria Lopez", "maria@example.org"), "Hello", "Body")
        msg["Bcc"] = "auditor@example.org"
        mail.send_now(msg)
        smtp_server.wait_for(1)
    [envelope], [raw] = smtp_server.handler.envelopes, smtp_server.raw_messages
    assert envelope.rcpt_tos == ["maria@example.org", "auditor@example.org"]
    assert b"auditor@example.org" not in raw and b"Bcc" not in raw
