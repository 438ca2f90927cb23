"""Sending an issue: claim it once, write a delivery row per recipient, send in claimed batches.

How this avoids the failures listmonk users reported (see docs/newsletters.md):
- an issue is claimed by one conditional UPDATE (scheduled/draft -> sending); a second worker or
  scheduler finds nothing to claim, so a scheduled issue is never started twice (listmonk #2313);
- every recipient has a delivery row written in the same transaction as the claim; a worker
  claims rows (pending -> sending, with a claim id) and commits before it talks to the mail
  server, and marks each row sent once the server accepts it, in the commit that precedes the
  next message (`Marks`), so a restarted or second worker never picks up a row marked sent and
  at most the one message in flight is sent twice after a crash (listmonk #2070);
- unsubscribing marks the person's unsent rows skipped, and the worker re-reads each row just
  before sending it, so an unsubscribe is honoured mid-send (listmonk #3022);
- the issue is rendered and its bodies encoded once per send (`WireTemplate`); each recipient
  costs a signed token, a few small encodings and one short commit.
"""
import itertools
import logging
import os
import select as sockets
import smtplib
import time
import uuid
from contextlib import contextmanager, suppress
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, insert, literal, or_, select, update

from community import jobs, mail
from community.extensions import db
from community.timeutil import utcnow

from . import blocks, provides, tokens
from .models import Delivery, Issue, Subscriber
from .rendering import WireTemplate, render_issue

log = logging.getLogger(__name__)


def claim_issue(issue_id, force=False):
    """Atomically move a due issue to `sending` and write its delivery rows; True if we won.

    :param force: send now (a draft or a scheduled issue), instead of only when it is due.
    """
    now = utcnow()
    due = Issue.status.in_(("draft", "scheduled")) if force else and_(
        Issue.status == "scheduled", Issue.scheduled_at <= now)
    won = db.session.execute(
        update(Issue).where(Issue.id == issue_id, due)
        .values(status="sending", send_started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        return False
    issue = db.session.get(Issue, issue_id)
    db.session.refresh(issue)
    blocks.refresh_cards(issue)
    db.session.execute(insert(Delivery).from_select(
        ["issue_id", "subscriber_id", "status", "attempts", "error"],
        select(literal(issue_id), Subscriber.id, literal("pending"), literal(0), literal(""))
        .where(Subscriber.receiving(issue.topics))))  # the issue's topics choose recipients
    db.session.flush()
    jobs.enqueue(send_issue, issue_id)
    return True


def start_due_sends():
    """Claim every due scheduled issue and restart stalled sends. Safe to run from cron."""
    started = []
    due = db.session.scalars(select(Issue.id).where(
        Issue.status == "scheduled", Issue.scheduled_at <= utcnow())).all()
    for issue_id in due:
        if claim_issue(issue_id):
            started.append(issue_id)
    stale = utcnow() - timedelta(seconds=current_app.config["NEWSLETTER_LEASE_SECONDS"])
    stalled = db.session.scalars(select(Issue.id).where(
        Issue.status == "sending", Issue.heartbeat_at < stale)).all()
    for issue_id in stalled:
        # Only one scheduler restarts a stalled send: the heartbeat moves in the same UPDATE.
        moved = db.session.execute(
            update(Issue).where(Issue.id == issue_id, Issue.heartbeat_at < stale)
            .values(heartbeat_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        if moved:
            jobs.enqueue(send_issue, issue_id)
            started.append(issue_id)
    return started


def send_issue(issue_id):
    """Job: send claimed batches until done or the time budget ends, then finish or continue.

    Commits as it goes (a job owns its transactions): every claim and every sent mark is durable
    before the next step, which is what makes a killed worker safe to resume.
    """
    issue = db.session.get(Issue, issue_id)
    if issue is None or issue.status != "sending":
        return
    rendered = render_issue(issue)
    db.session.commit()
    deadline = time.monotonic() + current_app.config["NEWSLETTER_JOB_SECONDS"]
    throttle = Throttle(current_app.config["NEWSLETTER_RATE"])
    sender = Sender(rendered)
    try:
        while time.monotonic() < deadline:
            batch = claim_batch(issue_id, current_app.config["NEWSLETTER_BATCH_SIZE"])
            if not batch:
                break
            try:
                sender.send_batch(batch, throttle)
            except TransportDown:
                return  # `send-due` resumes once the heartbeat is older than the lease
            db.session.execute(update(Issue).where(Issue.id == issue_id)
                               .values(heartbeat_at=utcnow())
                               .execution_options(synchronize_session=False))
            db.session.commit()
        else:
            jobs.enqueue(send_issue, issue_id)  # budget spent: continue in a fresh job
            return
    finally:
        sender.close()
    finish_issue(issue_id)


class TransportDown(Exception):
    """The mail server cannot be reached; the send pauses instead of failing everyone."""


def claim_batch(issue_id, size):
    """Claim up to `size` unsent rows for this worker (pending, or held by a worker that died)."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["NEWSLETTER_LEASE_SECONDS"])
    retry = now - timedelta(seconds=current_app.config["NEWSLETTER_RETRY_SECONDS"])
    claimable = and_(Delivery.issue_id == issue_id, or_(
        # never tried, or tried and refused for now (4xx) long enough ago
        and_(Delivery.status == "pending", or_(Delivery.attempts == 0, Delivery.claimed_at <= retry)),
        and_(Delivery.status == "sending", Delivery.claimed_at < stale)))
    # A CTE is evaluated once; PostgreSQL may re-run a plain `IN (SELECT ... LIMIT)` subquery
    # and claim more than `size` rows. SKIP LOCKED lets two workers claim different rows.
    picked = (select(Delivery.id).where(claimable)
              .order_by(Delivery.attempts, Delivery.id).limit(size)
              .with_for_update(skip_locked=True).cte("picked"))
    claim = uuid.uuid4().hex
    db.session.execute(
        update(Delivery).where(Delivery.id.in_(select(picked.c.id)), claimable)
        .values(status="sending", claim=claim, claimed_at=now, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    rows = db.session.execute(
        select(Delivery.id, Delivery.attempts, Subscriber.id, Subscriber.email, Subscriber.name)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.claim == claim).order_by(Delivery.id)).all()
    db.session.commit()
    return [Claimed(claim, *row) for row in rows]


class Claimed:
    __slots__ = ("claim", "id", "attempts", "subscriber_id", "email", "name")

    def __init__(self, claim, id, attempts, subscriber_id, email, name):
        self.claim, self.id, self.attempts = claim, id, attempts
        self.subscriber_id, self.email, self.name = subscriber_id, email, name


def finish_issue(issue_id):
    """Mark the issue sent once no row is left to send; announce it to search."""
    remaining = db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.issue_id == issue_id, Delivery.status.in_(("pending", "sending"))))
    if remaining:
        return False
    done = db.session.execute(
        update(Issue).where(Issue.id == issue_id, Issue.status == "sending")
        .values(status="sent", sent_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        provides.issues_changed([issue_id])
    db.session.commit()
    return done


class Throttle:
    """Keeps sending at no more than `rate` messages per second (0: as fast as possible)."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


class Sender:
    """Sends claimed rows over one SMTP connection per batch (or to the file outbox in development)."""

    def __init__(self, rendered):
        self.wire = WireTemplate(rendered)
        self.sign = tokens.subscriber_signer()
        self.issue_id = rendered.issue.id
        self.max_attempts = current_app.config["NEWSLETTER_MAX_ATTEMPTS"]
        self.domain = mail.sender_domain()
        self.unsubscribe_base = mail.external_url("newsletters.unsubscribe", token="TOKEN")
        self.preferences_base = mail.external_url("newsletters.preferences", token="TOKEN")
        self.smtp = None

    def send_batch(self, batch, throttle):
        """Send each row still ours; a row is marked sent before the next message's DATA.

        The mark of the message just sent and the question "is the next row still ours?" go to
        the database together (`Marks.ask`); on PostgreSQL the answer is read only after the mail
        server has taken the next envelope (MAIL FROM, RCPT TO), so the two round trips overlap,
        and DATA is sent only once the answer says the row is ours (otherwise RSET)."""
        marks = Marks()
        try:
            with self._connection() as transport:
                sent = None
                for row in batch:
                    marks.ask(sent, row)  # one commit: `sent` is sent; is `row` still ours?
                    sent = None
                    throttle.wait()
                    raw = self._message(row)
                    try:
                        transport.start(row.email, raw)
                        if not marks.answer():  # unsubscribed since the claim
                            transport.abandon()
                            continue
                        transport.finish(raw)
                    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
                        marks.answer()
                        self._transport_down(batch, error)
                    except smtplib.SMTPException as error:  # this recipient or this message
                        if marks.answer():
                            self._failed(row, error)
                        continue
                    except OSError as error:  # SMTPException is an OSError: keep this one last
                        marks.answer()
                        self._transport_down(batch, error)
                    sent = row
                marks.ask(sent, None)
                marks.answer()
        finally:
            marks.close()

    def _message(self, row):
        token = self.sign(row.subscriber_id, row.email)
        return self.wire.for_recipient(
            row.email, row.name, self.unsubscribe_base.replace("TOKEN", token),
            self.preferences_base.replace("TOKEN", token),
            f"<newsletter-{self.issue_id}-{row.subscriber_id}@{self.domain}>")

    def _failed(self, row, error):
        """A permanent refusal (5xx) fails at once; others are retried up to the limit."""
        code, reason = _smtp_reply(error)
        final = row.attempts >= self.max_attempts or (code is not None and code >= 500)
        log.warning("newsletter %s to %s failed (attempt %s): %s", self.issue_id, row.email,
                    row.attempts, reason)
        db.session.execute(
            update(Delivery).where(Delivery.id == row.id, Delivery.claim == row.claim)
            .values(status="failed" if final else "pending", claim=None, error=reason[:500])
            .execution_options(synchronize_session=False))
        db.session.commit()

    def _transport_down(self, batch, error):
        self.close()
        self._release(batch, error)
        raise TransportDown(str(error)) from error

    def _release(self, batch, error):
        """The mail server is unreachable: give the batch back untouched, not counted as attempts."""
        _, reason = _smtp_reply(error)
        log.warning("newsletter %s paused: mail server unreachable: %s", self.issue_id, reason)
        for row in batch:
            db.session.execute(
                update(Delivery).where(Delivery.id == row.id, Delivery.claim == row.claim,
                                       Delivery.status == "sending")
                .values(status="pending", claim=None, attempts=Delivery.attempts - 1,
                        error=f"Not sent yet: {reason}"[:500])
                .execution_options(synchronize_session=False))
        db.session.commit()

    @contextmanager
    def _connection(self):
        url = current_app.config.get("MAIL_URL") or "file"
        if not url.startswith("smtp"):
            yield FileTransport()
            return
        try:
            yield SMTPTransport(self)
        finally:
            self.close()  # one connection per batch

    def smtp_connection(self):
        if self.smtp is None:
            self.smtp = mail.smtp_connection()
        return self.smtp

    def close(self):
        if self.smtp is not None:
            with suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None


class FileTransport:
    """Development: each message goes to the outbox folder (or wherever `mail.deliver` sends)."""

    def start(self, address, raw):
        self.address = address

    def abandon(self):
        pass

    def finish(self, raw):
        mail.deliver(raw, [self.address])


class SMTPTransport:
    """`smtplib.SMTP.sendmail` in two steps: the envelope (`start`: MAIL FROM, RCPT TO), then
    the message (`finish`: DATA) or nothing (`abandon`: RSET). Replies are handled as sendmail
    handles them, raising the same exceptions."""

    def __init__(self, sender):
        self.sender = sender
        self.smtp = None

    def start(self, address, raw):
        smtp = self.smtp = self.sender.smtp_connection()
        smtp.ehlo_or_helo_if_needed()
        options = [f"size={len(raw)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        from_address = self.sender.wire.envelope_from
        code, reply = smtp.mail(from_address, options)
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPSenderRefused(code, reply, from_address)
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            self._refused(code)
            raise smtplib.SMTPRecipientsRefused({address: (code, reply)})

    def abandon(self):
        self.smtp.rset()

    def finish(self, raw):
        code, reply = self.smtp.data(raw)
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPDataError(code, reply)

    def _refused(self, code):
        if code == 421:  # the server is closing the connection
            self.sender.close()
        else:
            with suppress(smtplib.SMTPServerDisconnected):
                self.smtp.rset()


#: Names of the marks' prepared statements, unique in a process (with its pid, on its connections).
_statement_numbers = itertools.count(1)


class Marks:
    """Durable per-message marks, one short transaction each, on a connection of their own.

    `ask(sent, next_row)` marks the message just accepted by the server as sent and re-reads the
    next row in the same commit, and `answer()` says whether that row is still ours; `send_batch`
    asks before the next message's envelope and waits for the answer before its DATA, so a worker
    killed at any moment leaves at most the one message in flight (accepted, not yet marked) to be
    sent again. On PostgreSQL the statement is sent without waiting (libpq's asynchronous calls on
    the driver's connection) and answered after the envelope; on SQLite it runs at once. The
    commit does not wait for the disk (`synchronous_commit = off` on PostgreSQL; WAL with
    `synchronous = NORMAL` on SQLite): a killed worker loses nothing, and only a crash of the
    database server or machine can lose the last fraction of a second of marks, whose messages
    are then sent once more (with the same Message-ID).
    """

    def __init__(self):
        self.connection = db.engine.raw_connection()
        try:
            self._open()
        except BaseException:
            self.connection.invalidate()  # never back to the pool half set up
            raise

    def _open(self):
        self.postgres = db.engine.dialect.name == "postgresql"
        table = Delivery.__table__.name
        mark = f"UPDATE {table} SET status = 'sent', sent_at = ?, error = '' WHERE id = ? AND claim = ?"
        check = f"SELECT status FROM {table} WHERE id = ? AND claim = ?"
        self.mark_sql, self.check_sql = mark, check
        self.pending = False
        self.ours = None
        if self.postgres:
            def numbered(sql, first=1):
                parts = sql.split("?")
                return "".join(part + (f"${first + n}" if n < len(parts) - 1 else "")
                               for n, part in enumerate(parts))
            # One statement, one round trip: each statement is its own (unsynced) transaction.
            statements = {(True, False): numbered(mark), (False, True): numbered(check),
                          (True, True): f"WITH marked AS ({numbered(mark)}) {numbered(check, 4)}"}
            self.connection.rollback()  # the pool's liveness check may have opened a transaction
            self.connection.driver_connection.autocommit = True
            self.pgconn = self.connection.driver_connection.pgconn
        cursor = self.connection.cursor()
        cursor.execute("SET synchronous_commit TO off" if self.postgres else "PRAGMA synchronous = NORMAL")
        if self.postgres:
            # Prepared once: each message's statement is then neither parsed nor planned again.
            self.pg_names = {}
            for key, sql in statements.items():
                name = f"newsletter_marks_{os.getpid()}_{next(_statement_numbers)}"
                cursor.execute(f"PREPARE {name} AS {sql}")
                self.pg_names[key] = name.encode()
        cursor.close()
        self.connection.commit()

    def ask(self, sent, next_row):
        """Mark `sent` (a row or None) sent and ask whether `next_row` (or None) is still ours."""
        marked = checked = ()
        if sent is not None:
            marked = (utcnow(), sent.id, sent.claim)
        if next_row is not None:
            checked = (next_row.id, next_row.claim)
        self.ours = None
        if not marked and not checked:
            self.ours = False
        elif self.postgres:
            values = [str(value).encode() for value in marked + checked]
            self.pgconn.send_query_prepared(self.pg_names[bool(marked), bool(checked)], values)
            self.pending = True
            while self.pgconn.flush():  # 1: more to send (the connection is non-blocking)
                sockets.select([], [self.pgconn.socket], [])
        else:
            self.ours = self._sqlite(marked, checked)

    def answer(self):
        """Whether the row last asked about is still ours (waits for PostgreSQL's answer)."""
        if self.pending:
            self.pending = False
            status = self._pg_result()
            self.ours = status == "sending"
        return bool(self.ours)

    def _sqlite(self, marked, checked):
        cursor = self.connection.cursor()
        try:
            if marked:
                cursor.execute(self.mark_sql, (marked[0].strftime("%Y-%m-%d %H:%M:%S.%f"), *marked[1:]))
            found = None
            if checked:
                cursor.execute(self.check_sql, checked)
                found = cursor.fetchone()
            self.connection.commit()
            return found is not None and found[0] == "sending"
        finally:
            cursor.close()

    def _pg_result(self):
        """The status the pending statement read (None: no row), after reading every result."""
        import psycopg
        from psycopg import pq

        status, error = None, None
        while True:
            while True:
                self.pgconn.consume_input()
                if not self.pgconn.is_busy():
                    break
                sockets.select([self.pgconn.socket], [], [])
            result = self.pgconn.get_result()
            if result is None:
                break
            if result.status == pq.ExecStatus.TUPLES_OK:
                if result.ntuples:
                    status = result.get_value(0, 0).decode()
            elif result.status != pq.ExecStatus.COMMAND_OK:
                error = result.error_message.decode(errors="replace")
        if error:
            raise psycopg.DatabaseError(error)
        return status

    def close(self):
        """Give the connection back as it was taken (or drop it if that fails)."""
        try:
            if self.postgres:
                if self.pending:
                    with suppress(Exception):
                        self.answer()
                cursor = self.connection.cursor()
                cursor.execute("RESET synchronous_commit")
                for name in self.pg_names.values():
                    cursor.execute(f"DEALLOCATE {name.decode()}")
                cursor.close()
                self.connection.driver_connection.autocommit = False
        except BaseException:
            self.connection.invalidate()
            raise
        finally:
            self.connection.close()


def _smtp_reply(error):
    """(code or None, readable reason) from an smtplib or socket error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, message = next(iter(error.recipients.values()))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, message = error.smtp_code, error.smtp_error
    else:
        return None, f"{type(error).__name__}: {error}"
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return code, f"{code} {message}"


