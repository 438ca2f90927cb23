"""Reply by e-mail on real parts: the reply address arrives in a real notification over SMTP, and
replies as Outlook, Gmail and Apple Mail write them go back through the SMTP listener
(`mail serve-inbound`'s controller on a free port) or the stdin command (`mail receive`)."""
import logging
import os
import smtplib
import subprocess
import sys
import uuid
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community import inbound
from community.extensions import db
from community.forums import notify, replies, services
from community.forums.models import Post, Thread
from community.inbound import InboundMessage, handling
from tests.conftest import text_of
from tests.support.mailserver import free_port

MAIL = Path(__file__).parent / "mail"
DOMAIN = "reply.community.test"


class Mailroom:
    """A forum whose e-mail goes to a real SMTP server, with the inbound listener running."""

    def __init__(self, forum, smtp, app, listener):
        self.forum, self.smtp, self.app, self.listener = forum, smtp, app, listener

    def reply_address(self, person, thread):
        """Have `person` notified of a new post in `thread`; return the Reply-To it received."""
        notify.set_email_mode(person, "immediate")
        db.session.commit()
        poster = self.forum.other if person != self.forum.other else self.forum.facilitator
        services.post_reply(thread, poster, f"@{person.handle} what does your county do?")
        db.session.commit()
        _run_jobs()
        message = [m for m in self.smtp.messages if person.email in str(m["To"])][-1]
        address = parseaddr(str(message["Reply-To"]))[1]
        assert address.startswith("reply+") and address.endswith("@" + DOMAIN)
        return address

    def message(self, fixture, to, sender, body="", auth="spf=pass smtp.mailfrom=county.example.gov",
                message_id=None):
        name = sender.name if hasattr(sender, "name") else "Someone"
        address = sender.email if hasattr(sender, "email") else sender
        raw = (MAIL / f"{fixture}.eml").read_bytes()
        for key, value in {"TO": to, "FROM": address, "FROM_NAME": name, "AUTH": auth,
                           "MESSAGE_ID": message_id or f"{uuid.uuid4().hex}@mail.example.gov",
                           "BODY": body}.items():
            raw = raw.replace(b"{{%s}}" % key.encode(), value.encode())
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def send_smtp(self, raw, to):
        """Deliver over SMTP to the listener, as a relay would; returns the server's reply."""
        db.session.commit()  # release this test's read transaction (SQLite locks the file)
        with smtplib.SMTP("127.0.0.1", self.listener.port, timeout=30) as smtp:
            try:
                refused = smtp.sendmail("bounces@mail.example.gov", [to], raw)
            except smtplib.SMTPResponseException as error:
                return error.smtp_code
            except smtplib.SMTPRecipientsRefused as error:
                return next(iter(error.recipients.values()))[0]
        db.session.expire_all()
        return refused or 250

    def send_stdin(self, raw, *args):
        """Pipe the message to `flask mail receive`, as Postfix's pipe transport does."""
        db.session.commit()
        result = self.app.test_cli_runner().invoke(args=["mail", "receive", *args], input=raw)
        _run_jobs()  # the command ran in this test's app context: its jobs wait for its end
        db.session.expire_all()
        return result

    def posts_in(self, thread):
        return db.session.scalars(select(Post).where(Post.thread_id == thread.id)
                                  .order_by(Post.number)).all()

    def answers_to(self, address):
        return [m for m in self.smtp.messages
                if address in str(m["To"]) and m["Auto-Submitted"] == "auto-replied"]


def _run_jobs():
    from community.jobs import run_ready

    run_ready()


@pytest.fixture
def mailroom(app_factory, smtp_server, make_user):
    app = app_factory(MAIL_URL=smtp_server.url, REPLY_MAIL_DOMAIN=DOMAIN)
    controller = inbound.listener(app, "127.0.0.1", free_port())
    controller.start()
    try:
        with app.app_context():
            from tests.forums.conftest import Forum

            yield Mailroom(Forum(make_user), smtp_server, app, controller)
    finally:
        controller.stop()


@pytest.fixture
def thread(mailroom):
    return mailroom.forum.thread()


# --- Posting what people write -------------------------------------------------------------

def test_an_outlook_reply_in_windows_1252_over_smtp_posts_only_the_new_text_as_the_person(
        mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    raw = mailroom.message("outlook_reply", address, member)
    assert mailroom.send_smtp(raw, address) == 250
    post = mailroom.posts_in(thread)[-1]
    assert post.author_id == member.id
    assert post.body_source == ("Thanks Tanya – we do the same in Fresno. Our liaison sends the "
                                "“TDM invitation” to both workers, and the café next door hosts "
                                "the family.")
    assert mailroom.answers_to(member.email) == []


def test_a_gmail_reply_through_the_stdin_command_cuts_the_quoted_history_and_signature(
        mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    result = mailroom.send_stdin(mailroom.message("gmail_reply", address, member),
                                 "--recipient", address)
    assert result.exit_code == 0, result.output
    post = mailroom.posts_in(thread)[-1]
    assert post.author_id == member.id
    assert post.body_source == ("In LA County we added the CalWORKs worker to the TDM invite list "
                                "last year.\nAttendance went from 40% to 75%.")


def test_an_html_only_apple_mail_reply_in_iso_8859_1_is_posted_as_markdown(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    assert mailroom.send_smtp(mailroom.message("apple_mail_html_only", address, member), address) == 250
    post = mailroom.posts_in(thread)[-1]
    assert post.author_id == member.id
    assert post.body_source.startswith("We tried **co-located** meetings in the Bakersfield office – "
                                       "a niña's family liked it.")
    assert "* One shared calendar invite" in post.body_source
    assert "wrote:" not in post.body_source and "<div>" not in post.body_source
    assert "<strong>co-located</strong>" in post.body_html


def test_a_bare_legal_disclaimer_under_a_reply_is_not_posted(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    body = ("We hold the TDM within 30 days.\n\nJames\n\nCONFIDENTIALITY NOTICE: This e-mail is for "
            "the sole use of the intended recipient and may contain privileged information.")
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, body), address) == 250
    assert mailroom.posts_in(thread)[-1].body_source == "We hold the TDM within 30 days.\n\nJames"


def test_the_same_message_delivered_twice_posts_once(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    raw = mailroom.message("plain_reply", address, member, "Posted once, delivered twice.",
                           message_id="dup-4711@mail.lacounty.example.gov")
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(raw, address) == 250
    assert mailroom.send_stdin(raw).exit_code == 0
    assert mailroom.send_smtp(raw, address) == 250
    posts = mailroom.posts_in(thread)
    assert len(posts) == before + 1
    assert posts[-1].body_source == "Posted once, delivered twice."
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_a_digest_entry_carries_a_reply_address_that_posts_in_that_thread(mailroom):
    forum = mailroom.forum
    first = forum.thread(title="Warm handoffs between CWS and CalWORKs")
    second = forum.thread(title="Joint case planning calendars")
    notify.set_email_mode(forum.member, "digest")
    db.session.commit()
    services.post_reply(first, forum.other, f"@{forum.member.handle} first question")
    services.post_reply(second, forum.other, f"@{forum.member.handle} second question")
    db.session.commit()
    notify.send_digests()
    _run_jobs()
    (digest,) = [m for m in mailroom.smtp.messages if "digest" in str(m["Subject"])]
    text = text_of(digest)
    addresses = [line.split("Reply by e-mail: ")[1].strip() for line in text.splitlines()
                 if "Reply by e-mail: " in line]
    assert len(addresses) == 2 and len(set(addresses)) == 2
    second_address = addresses[1]  # entries come in the order they happened
    assert mailroom.send_smtp(mailroom.message("plain_reply", second_address, forum.member,
                                               "Answer for the second thread."), second_address) == 250
    assert mailroom.posts_in(second)[-1].body_source == "Answer for the second thread."
    assert mailroom.posts_in(first)[-1].body_source == f"@{forum.member.handle} first question"


# --- Refusals, each answered once ------------------------------------------------------------

def test_an_out_of_office_auto_reply_is_neither_posted_nor_answered(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("out_of_office", address, member), address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert mailroom.answers_to(member.email) == []
    assert db.session.scalar(select(InboundMessage.status)) == "ignored"


def test_a_forged_from_is_refused_and_nothing_is_posted(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    forger = "mallory@attacker.example.com"
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, forger, "I am James."),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    (answer,) = mailroom.answers_to(forger)
    assert "not posted" in text_of(answer)
    assert address not in answer.as_string()


def test_another_members_from_address_cannot_use_someone_elses_reply_address(mailroom, thread):
    forum = mailroom.forum
    address = mailroom.reply_address(forum.member, thread)
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, forum.facilitator,
                                               "Posting as James."), address) == 250
    assert len(mailroom.posts_in(thread)) == before


def test_a_failed_spf_and_dkim_verdict_from_the_receiving_mta_is_refused(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    raw = mailroom.message("plain_reply", address, member, "Spoofed but with the right From.",
                           auth="spf=fail smtp.mailfrom=lacounty.example.gov; dkim=none; dmarc=fail")
    assert mailroom.send_smtp(raw, address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "SPF/DKIM" in text_of(mailroom.answers_to(member.email)[0])


def test_a_revoked_reply_address_is_refused_with_one_short_answer(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    replies.revoke(member, thread)
    db.session.commit()
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Too late?"),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    (answer,) = mailroom.answers_to(member.email)
    assert answer["Subject"] == "Your reply was not posted"
    assert "no longer valid" in text_of(answer)
    assert answer["In-Reply-To"]


def test_a_guessed_reply_address_is_refused(mailroom, thread):
    member = mailroom.forum.member
    mailroom.reply_address(member, thread)
    guessed = f"reply+{'a' * 32}@{DOMAIN}"
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", guessed, member, "Guess"), guessed) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert len(mailroom.answers_to(member.email)) == 1


def test_mail_for_another_domain_is_refused_by_the_listener(mailroom):
    code = mailroom.send_smtp(b"Subject: hi\r\n\r\nhello\r\n", "someone@elsewhere.example.com")
    assert code == 550


def test_a_person_who_left_the_cluster_cannot_post_with_an_old_reply_address(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    services.leave_cluster(mailroom.forum.cluster, member)
    db.session.commit()
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Still here?"),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "no longer a member" in text_of(mailroom.answers_to(member.email)[0])


def test_a_deactivated_account_cannot_post_by_e_mail(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    member.status = "deactivated"
    db.session.commit()
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Hello"), address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "not active" in text_of(mailroom.answers_to(member.email)[0])


def test_a_locked_thread_answers_that_it_takes_no_replies(mailroom, thread):
    forum = mailroom.forum
    address = mailroom.reply_address(forum.member, thread)
    services.set_locked(thread, forum.facilitator, True)
    db.session.commit()
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, forum.member, "Late reply"),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "locked" in text_of(mailroom.answers_to(forum.member.email)[0])


def test_an_attachment_is_refused_politely_with_a_link_to_the_site(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("with_attachment", address, member), address) == 250
    assert len(mailroom.posts_in(thread)) == before
    text = text_of(mailroom.answers_to(member.email)[0])
    assert "attachments" in text and "http://community.test/t/" in text


def test_a_reply_longer_than_the_web_form_allows_is_refused(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    mailroom.app.config["FORUM_MAX_POST_CHARS"] = 100
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, "word " * 60),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "not posted" in text_of(mailroom.answers_to(member.email)[0])


def test_a_message_over_the_size_limit_is_refused_by_both_ways_in(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    mailroom.app.config["REPLY_MAIL_MAX_BYTES"] = 2000
    big = mailroom.message("plain_reply", address, member, "x" * 5000)
    result = mailroom.send_stdin(big)
    assert result.exit_code == 0
    assert "too large" in str(mailroom.answers_to(member.email)[0]["Subject"])
    before = len(mailroom.posts_in(thread))
    small_listener = inbound.listener(mailroom.app, "127.0.0.1", free_port())
    small_listener.start()
    try:
        db.session.commit()
        with smtplib.SMTP("127.0.0.1", small_listener.port, timeout=30) as smtp, \
                pytest.raises(smtplib.SMTPException):
            smtp.sendmail("bounces@mail.example.gov", [address], big)
    finally:
        small_listener.stop()
    assert len(mailroom.posts_in(thread)) == before


# --- The confidentiality guard -------------------------------------------------------------

def test_a_social_security_number_is_refused_with_an_answer_and_nothing_is_kept(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member,
                                               "Her SSN is 123-45-6789, can someone check?"),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert db.session.scalar(select(func.count()).select_from(replies.HeldReply)) == 0
    text = text_of(mailroom.answers_to(member.email)[0])
    assert "Social Security number" in text and "123-45-6789" not in text


def test_a_case_number_is_held_and_its_author_reviews_and_posts_it_on_the_site(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    body = "For reference this was case number 2024-0417-JV before the TDM."
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, body), address) == 250
    assert len(mailroom.posts_in(thread)) == before
    (answer,) = mailroom.answers_to(member.email)
    assert answer["Subject"] == "Please review your reply before it is posted"
    link = next(w for w in text_of(answer).split() if "/replies/held/" in w)
    path = link.replace("http://community.test", "")

    client = mailroom.app.test_client()
    sign_in_as(client, member)
    page = client.get(path)
    assert page.status_code == 200
    assert "2024-0417-JV" in page.get_data(as_text=True)
    refused = client.post(path, data={"body": body})  # the guard asks for the confirmation again
    assert refused.status_code == 200
    db.session.expire_all()
    assert len(mailroom.posts_in(thread)) == before
    posted = client.post(path, data={"body": body, "confirm_not_client_data": "y"})
    assert posted.status_code == 302
    db.session.expire_all()
    post = mailroom.posts_in(thread)[-1]
    assert post.author_id == member.id and post.body_source == body and post.guard_confirmed


def sign_in_as(client, user, password="correct horse battery"):
    response = client.post("/sign-in", data={"email": user.email, "password": password})
    assert response.status_code == 302


def test_a_held_reply_is_shown_to_no_one_but_its_author(mailroom, thread):
    forum = mailroom.forum
    address = mailroom.reply_address(forum.member, thread)
    mailroom.send_smtp(mailroom.message("plain_reply", address, forum.member,
                                        "It was case number 2024-0417-JV."), address)
    held = db.session.scalar(select(replies.HeldReply))
    client = mailroom.app.test_client()
    sign_in_as(client, forum.facilitator)
    assert client.get(f"/replies/held/{held.id}").status_code == 404
    assert client.post(f"/replies/held/{held.id}", data={
        "body": "x", "confirm_not_client_data": "y"}).status_code == 404


# --- Loops, logs and settings --------------------------------------------------------------

def test_answers_to_one_address_stop_after_a_few_so_two_robots_cannot_loop(mailroom, thread):
    member = mailroom.forum.member
    mailroom.reply_address(member, thread)
    guessed = f"reply+{'b' * 32}@{DOMAIN}"
    for n in range(inbound.ANSWERS_PER_HOUR + 3):
        mailroom.send_smtp(mailroom.message("plain_reply", guessed, member, f"try {n}"), guessed)
    assert len(mailroom.answers_to(member.email)) == inbound.ANSWERS_PER_HOUR


def test_reply_tokens_never_appear_in_the_log(mailroom, thread, caplog):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    token = address.split("+", 1)[1].split("@", 1)[0]
    with caplog.at_level(logging.DEBUG):
        mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Logged?"), address)
        mailroom.send_stdin(mailroom.message("plain_reply", address, "mallory@attacker.example.com",
                                             "Logged?"))
    assert caplog.records
    assert token not in caplog.text
    stored = db.session.scalars(select(replies.ReplyToken.token_hash)).all()
    assert token not in stored


def test_without_a_reply_domain_notifications_carry_no_reply_address(app_factory, smtp_server,
                                                                     make_user):
    app = app_factory(MAIL_URL=smtp_server.url, REPLY_MAIL_DOMAIN="")
    with app.app_context():
        from tests.forums.conftest import Forum

        forum = Forum(make_user)
        notify.set_email_mode(forum.member, "immediate")
        thread = forum.thread(author=forum.facilitator)
        forum.reply(thread, body=f"@{forum.member.handle} a question")
        _run_jobs()
        (message,) = smtp_server.wait_for(1)
        assert message["Reply-To"] is None
        assert "reply to this e-mail" not in text_of(message)


def test_the_real_flask_command_reads_a_message_piped_on_standard_input(mailroom, thread, backend,
                                                                       database_urls, tmp_path):
    """What Postfix's pipe transport runs: a separate process, configured from the environment."""
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    raw = mailroom.message("gmail_reply", address, member)
    thread_id = thread.id
    db.session.commit()
    env = dict(os.environ, DATABASE_URL=database_urls[backend], SITE_URL="http://community.test",
               REPLY_MAIL_DOMAIN=DOMAIN, MAIL_URL=mailroom.app.config["MAIL_URL"],
               SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
               INSTANCE_PATH=str(tmp_path / "pipe-instance"), REDIS_URL="", JOBS_QUEUE="")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "community", "mail", "receive",
                           "--recipient", address], input=raw, env=env, capture_output=True,
                          timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    db.session.expire_all()
    assert mailroom.posts_in(thread)[-1].body_source.startswith("@")  # queued, not yet posted
    from community.jobs import run_database_jobs

    assert run_database_jobs(burst=True) == 1  # what `flask jobs worker` does
    thread = db.session.get(Thread, thread_id)
    assert mailroom.posts_in(thread)[-1].body_source.startswith("In LA County we added")



def test_replies_by_e_mail_count_against_the_persons_posting_rate_limit(app_factory, smtp_server,
                                                                        make_user):
    app = app_factory(MAIL_URL=smtp_server.url, REPLY_MAIL_DOMAIN=DOMAIN, RATELIMIT_ENABLED=True,
                      LIMIT_FORUM_POST="2 per hour")
    controller = inbound.listener(app, "127.0.0.1", free_port())
    controller.start()
    try:
        with app.app_context():
            from tests.forums.conftest import Forum

            room = Mailroom(Forum(make_user), smtp_server, app, controller)
            thread = room.forum.thread()
            member = room.forum.member
            address = room.reply_address(member, thread)
            before = len(room.posts_in(thread))
            for n in range(3):
                assert room.send_smtp(room.message("plain_reply", address, member,
                                                   f"Reply number {n}."), address) == 250
            assert [p.body_source for p in room.posts_in(thread)[before:]] == [
                "Reply number 0.", "Reply number 1."]
            (answer,) = room.answers_to(member.email)
            assert "faster than the site allows" in text_of(answer)
    finally:
        controller.stop()


def test_the_listener_also_speaks_lmtp(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    lmtp_listener = inbound.listener(mailroom.app, "127.0.0.1", free_port(), lmtp=True)
    lmtp_listener.start()
    try:
        db.session.commit()
        with smtplib.LMTP("127.0.0.1", lmtp_listener.port) as lmtp:
            lmtp.sendmail("bounces@mail.example.gov", [address],
                          mailroom.message("plain_reply", address, member, "Delivered by LMTP."))
    finally:
        lmtp_listener.stop()
    db.session.expire_all()
    assert mailroom.posts_in(thread)[-1].body_source == "Delivered by LMTP."


def test_a_handled_message_keeps_neither_its_bytes_nor_its_reply_address(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Stored?"), address)
    row = db.session.scalar(select(InboundMessage))
    assert row.status == "posted" and row.raw == b"" and row.recipients == ""


def test_a_person_turns_off_their_reply_addresses_from_the_settings_page(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    client = mailroom.app.test_client()
    sign_in_as(client, member)
    assert "Turn off my reply addresses" in client.get("/notifications/settings").get_data(as_text=True)
    assert client.post("/notifications/settings/reply-addresses").status_code == 302
    before = len(mailroom.posts_in(thread))
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, "Forwarded?"),
                              address) == 250
    assert len(mailroom.posts_in(thread)) == before
    assert "no longer valid" in text_of(mailroom.answers_to(member.email)[0])


def test_an_outlook_reply_with_a_logo_in_its_signature_is_posted_without_the_logo(mailroom, thread):
    """The signature's inline image is not an attachment: county staff's replies are not refused."""
    other = mailroom.forum.other
    address = mailroom.reply_address(other, thread)
    assert mailroom.send_smtp(mailroom.message("outlook_signature_logo", address, other), address) == 250
    post = mailroom.posts_in(thread)[-1]
    assert post.author_id == other.id
    assert post.body_source == "Our Kern team uses the same two-worker invitation."
    assert mailroom.answers_to(other.email) == []


# --- Hostile bytes (found by an outside probe) ----------------------------------------------

@pytest.mark.parametrize("written_from", [
    "{owner} <mallory@attacker.example.com>",
    "=?utf-8?q?{encoded}?= (mallory@attacker.example.com)",
    "\"{owner}\" <mallory@attacker.example.com>",
], ids=["unquoted-address-as-name", "encoded-word-and-comment", "quoted-address-as-name"])
def test_a_from_that_names_the_owner_beside_another_address_posts_nothing(mailroom, thread, written_from):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    raw = mailroom.message("plain_reply", address, member, "Posted by someone else.")
    spoofed = written_from.format(owner=member.email, encoded=member.email.replace("@", "=40"))
    raw = raw.replace(f"From: {member.name} <{member.email}>".encode(), f"From: {spoofed}".encode())
    assert f"From: {spoofed}".encode() in raw
    assert mailroom.send_smtp(raw, address) == 250
    assert len(mailroom.posts_in(thread)) == before


def test_a_reply_with_no_new_text_above_the_quoted_message_posts_nothing(mailroom, thread):
    """Outlook quotes the digest it answers under a "From: … Sent: …" block with nothing marked
    as quoted; the digest carries other reply addresses and other clusters' excerpts."""
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    quoted = ("\n\nFrom: Linkages Community <no-reply@linkages.example.org>\nSent: Monday, November 30, "
              "2026 6:00 AM\nTo: James Chen\nSubject: Your daily digest\n\nCoordinated Case Planning: a "
              f"private excerpt\nReply: reply+abcdefghijklmnopqrstuvwxyz234567@{DOMAIN}\n")
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, quoted), address) == 250
    assert len(mailroom.posts_in(thread)) == before
    kept = ("Thanks, we will try it.\n\nGroupWise quotes like this:\n>>> Linkages Community "
            "<no-reply@linkages.example.org> 11/30/2026 6:00 AM >>>\nprivate excerpt\n"
            f"reply+abcdefghijklmnopqrstuvwxyz234567@{DOMAIN}")
    assert mailroom.send_smtp(mailroom.message("plain_reply", address, member, kept), address) == 250
    posts = mailroom.posts_in(thread)
    assert len(posts) == before + 1 and posts[-1].body_source.startswith("Thanks, we will try it.")
    assert "private excerpt" not in posts[-1].body_source and "reply+" not in posts[-1].body_source


def test_a_number_split_by_tags_or_invisible_characters_is_still_found(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    for html in ("<p>Her number: 123<b></b>-45-<span>6789</span></p>", "<p>Her number: 123&shy;-45-6789</p>"):
        raw = (f"From: {member.name} <{member.email}>\r\nTo: {address}\r\nSubject: Re: TDM\r\n"
               f"Message-ID: <{uuid.uuid4().hex}@mail.example.gov>\r\nMIME-Version: 1.0\r\n"
               f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n").encode()
        assert mailroom.send_smtp(raw, address) == 250
    assert len(mailroom.posts_in(thread)) == before


def test_a_message_no_parser_can_read_is_set_aside_without_an_answer(mailroom, thread):
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    before = len(mailroom.posts_in(thread))
    nested = "".join(f'--b{n}\r\nContent-Type: multipart/mixed; boundary="b{n + 1}"\r\n\r\n' for n in range(1200))
    for raw in (
            f"From: ({'(' * 3000}x{')' * 3000}) {member.email}\r\nTo: {address}\r\nSubject: x\r\n\r\nhello\r\n",
            (f"From: {member.name} <{member.email}>\r\nTo: {address}\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
             f'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n{nested}hello\r\n')):
        assert mailroom.send_stdin(raw.encode(), "--recipient", address).exit_code == 0
    assert len(mailroom.posts_in(thread)) == before
    assert {row.status for row in db.session.scalars(select(InboundMessage))} <= {"unreadable", "ignored"}
    assert all(row.raw == b"" for row in db.session.scalars(select(InboundMessage)))
    assert mailroom.answers_to(member.email) == []


def test_long_runs_of_spaces_and_blank_lines_are_read_as_one(mailroom, thread):
    """The reply parser's patterns take time by the square of such runs; they are shortened first."""
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    body = "We tried it." + " " * 50_000 + "It worked.\n" + " \n" * 30_000 + "The WTW worker joined the second meeting."
    raw = mailroom.message("plain_reply", address, member, body)  # lines past SMTP's limit: a pipe
    assert mailroom.send_stdin(raw, "--recipient", address).exit_code == 0
    assert mailroom.posts_in(thread)[-1].body_source == "We tried it. It worked.\n\nThe WTW worker joined the second meeting."


def test_answers_about_messages_too_large_are_sent_once_per_message_and_capped(mailroom, thread):
    mailroom.app.config["REPLY_MAIL_MAX_BYTES"] = 2000
    victim = "someone@other.example.com"
    same = mailroom.message("plain_reply", "reply+guess@" + DOMAIN, victim, "x" * 5000)
    for _ in range(4):  # redelivered: one answer
        assert mailroom.send_stdin(same).exit_code == 0
    assert len(mailroom.answers_to(victim)) == 1
    for _ in range(8):  # eight different ones: no more than the hourly cap
        mailroom.send_stdin(mailroom.message("plain_reply", "reply+guess@" + DOMAIN, victim, "x" * 5000))
    assert len(mailroom.answers_to(victim)) == handling.ANSWERS_PER_HOUR
    assert all(row.raw == b"" for row in db.session.scalars(select(InboundMessage)))


def test_control_characters_in_a_reply_are_taken_out_as_on_the_web(mailroom, thread):
    """NUL cannot be stored by PostgreSQL and a right-to-left override disguises text: the web
    forms take them out, and so does the mail path."""
    member = mailroom.forum.member
    address = mailroom.reply_address(member, thread)
    body = "We tried\x00 it at the\x1b[2J office; see exe.\u202efdp and\u200b 123\u00ad-45-6789 later."
    mailroom.send_stdin(mailroom.message("plain_reply", address, member, body), "--recipient", address)
    assert "Social Security number" in text_of(mailroom.answers_to(member.email)[-1])  # joined again
    body = "We tried\x00 it at the\x1b office; see exe.\u202efdp later."
    mailroom.send_stdin(mailroom.message("plain_reply", address, member, body), "--recipient", address)
    posted = mailroom.posts_in(thread)[-1].body_source
    assert posted == "We tried it at the office; see exe.fdp later."
