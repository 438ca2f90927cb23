"""Mail coming in: replies people send from their mail client, handed to the feature that owns them.

Two ways in, both thin: `flask --app community mail receive` reads one RFC 5322 message on standard
input (what Postfix's `pipe` transport or an alias `|command` hands over), and `flask --app
community mail serve-inbound --port 2525` is an SMTP (or `--lmtp`) listener for an MX or relay.
Both only store the bytes (`accept`) and queue `process` as a job, so a slow database never keeps
the sending MTA waiting; both refuse messages over `REPLY_MAIL_MAX_BYTES`.

`accept` drops a message whose Message-ID was seen before (the same message delivered twice is
handled once). `process` parses the message, cleans the reply text (quoted history, "On … wrote:",
Outlook's "From: … Sent: …" block, signatures and disclaimers are cut by `mail-parser-reply`;
HTML-only mail becomes Markdown through `html2text`), ignores auto-replies entirely, and hands the
result to the provider registered as ``mail.reply_handler`` (the forums register theirs; the core
imports no feature). The handler returns a `Handled`; its `answer`, if any, goes back to the sender
as one short message marked ``Auto-Submitted: auto-replied`` — never to an auto-reply, never to
our own addresses, and at most `ANSWERS_PER_HOUR` to one address, so two robots cannot loop.

Reply addresses carry secrets: nothing here logs a recipient address or a message body.
"""
import asyncio
import hashlib
import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr

import click
from flask import current_app
from sqlalchemy import LargeBinary, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import content, jobs, mail
from .extensions import db
from .timeutil import utcnow

log = logging.getLogger(__name__)

#: Answers (refusals, review links) sent to one address per hour at most.
ANSWERS_PER_HOUR = 5
#: sysexits.h: the message could not be read; try again later.
EX_DATAERR, EX_TEMPFAIL = 65, 75

_AUTO_SUBJECT = re.compile(r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|"
                           r"autoreply|abwesenheit|r[ée]ponse automatique|respuesta autom[áa]tica|"
                           r"delivery status notification|undeliver(?:ed|able)|returned mail)\b",
                           re.IGNORECASE)
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-response")
_ROBOT_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)(?:[+@-]|$)",
                            re.IGNORECASE)


class InboundMessage(db.Model):
    """One message received; the unique key makes a second delivery of it a no-op."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the Message-ID (or of the bytes when there is none).
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The message as received; emptied once it has been handled.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    #: Envelope recipients given by the MTA, one per line (empty when it gave none).
    recipients: Mapped[str] = mapped_column(Text, default="")
    #: queued, then the handler's status (posted, held, refused …), ignored (auto-reply) or failed.
    status: Mapped[str] = mapped_column(String(30), default="queued", index=True)
    #: sha256 of the lower-cased sender address, to cap the answers sent to one address.
    sender_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


@dataclass
class IncomingMail:
    """What a handler sees of a message: the cleaned reply and the facts it needs to judge it."""

    message_id: str
    #: The From: address, lower-cased, and the name beside it.
    sender: str
    sender_name: str
    subject: str
    #: Every address the message was for (envelope first, then To, Cc, Delivered-To), lower-cased.
    recipients: list
    #: The reply with quoted history, signatures and disclaimers cut (Markdown for HTML-only mail).
    text: str
    #: File names of attached files (inline images of a signature included).
    attachments: list = field(default_factory=list)
    #: False when the receiving MTA's Authentication-Results say SPF/DKIM/DMARC failed.
    authenticated: bool = True
    #: True when it came from an auto-responder (never handed to a handler).
    automatic: bool = False
    too_large: bool = False


@dataclass
class Handled:
    """A handler's verdict: `status` is stored; `answer` (subject, text) is mailed to the sender."""

    status: str
    answer: tuple | None = None


# --- Settings -------------------------------------------------------------------------------

def enabled(app=None):
    config = (app or current_app).config
    return bool(config.get("REPLY_MAIL_ENABLED") and config.get("REPLY_MAIL_DOMAIN"))


def max_bytes(app=None):
    return int((app or current_app).config.get("REPLY_MAIL_MAX_BYTES") or 10 * 1024 * 1024)


def _sha(value):
    return hashlib.sha256(value if isinstance(value, bytes) else value.encode()).hexdigest()


# --- Taking a message in ----------------------------------------------------------------------

def accept(raw, recipients=()):
    """Store one message and queue its handling; returns "queued", "duplicate" or "too-large".

    The caller commits (the CLI and the listener do): the job runs once the row exists.
    """
    if len(raw) > max_bytes():
        _refuse_oversized(raw)
        return "too-large"
    headers = message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\n\n",
                                 policy=policy.default)
    message_id = (headers.get("Message-ID") or "").strip()
    key = _sha(message_id.lower() if message_id else raw)
    if db.session.scalar(select(InboundMessage.id).where(InboundMessage.dedupe_key == key)):
        return "duplicate"
    row = InboundMessage(dedupe_key=key, raw=raw, recipients="\n".join(r.lower() for r in recipients))
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same message, delivered at the same moment by another process
        return "duplicate"
    jobs.enqueue(process, row.id)
    return "queued"


def _refuse_oversized(raw):
    """Answer a message over the size limit (parsed from its headers only)."""
    head = raw[:64 * 1024].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\n\n"
    message = message_from_bytes(head, policy=policy.default)
    incoming = IncomingMail(message_id=str(message.get("Message-ID") or ""),
                            sender=_sender(message)[0], sender_name="",
                            subject=str(message.get("Subject") or ""), recipients=[], text="",
                            automatic=is_automatic(message), too_large=True)
    limit_mb = max_bytes() / (1024 * 1024)
    _answer(incoming, ("Your message was too large to post",
                       (f"Your message was larger than {limit_mb:.0f} MB, so nothing was posted. "
                        f"Please reply without attachments, or post on the site: "
                        f"{current_app.config['SITE_URL']}")), row=None)


def process(inbound_id):
    """Job: parse a stored message, hand it to the reply handler, answer the sender if needed."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.status != "queued":
        return
    message = message_from_bytes(row.raw, policy=policy.default)
    incoming = parse(message, row.recipients.split("\n") if row.recipients else ())
    row.sender_hash = _sha(incoming.sender)
    row.handled_at = utcnow()
    row.raw, row.recipients = b"", ""  # the reply address in them is a secret: keep nothing
    if incoming.automatic:
        row.status = "ignored"
        log.info("inbound message %s: auto-reply ignored", row.id)
        return
    if not enabled():
        result = Handled("disabled", ("Replies by e-mail are turned off",
                                      ("Replying by e-mail is turned off on this site, so your "
                                       "message was not posted. Please post on the site instead: "
                                        f"{current_app.config['SITE_URL']}")))
    else:
        try:
            result = content.provide("mail.reply_handler", incoming)
        except content.NoProvider:  # no feature takes replies (the forums are not installed)
            result = None
        result = result or Handled(
            "unhandled", ("Your message could not be delivered",
                          ("This address takes no messages. Please use the site instead: "
                           f"{current_app.config['SITE_URL']}")))
    row.status = result.status[:30]
    log.info("inbound message %s: %s", row.id, row.status)
    if result.answer:
        _answer(incoming, result.answer, row)


# --- Reading a message -------------------------------------------------------------------------

def parse(message, envelope_recipients=()):
    """Read an `email.message.EmailMessage` into an `IncomingMail`."""
    sender, name = _sender(message)
    recipients = [r.strip().lower() for r in envelope_recipients if r and r.strip()]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for _, address in getaddresses([str(v) for v in message.get_all(header, [])]):
            if address and address.lower() not in recipients:
                recipients.append(address.lower())
    return IncomingMail(message_id=str(message.get("Message-ID") or "").strip(), sender=sender,
                        sender_name=name, subject=str(message.get("Subject") or ""),
                        recipients=recipients, text=reply_text(message),
                        attachments=attachment_names(message),
                        authenticated=authentication_passed(message),
                        automatic=is_automatic(message))


def _sender(message):
    name, address = parseaddr(str(message.get("From") or ""))
    return address.strip().lower(), name


def is_automatic(message):
    """True for auto-replies, out-of-office notes, bounces and list or bulk mail (RFC 3834)."""
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    if str(message.get("Precedence") or "").strip().lower() in _BULK_PRECEDENCE:
        return True
    if any(message.get(name) for name in _AUTO_HEADERS):
        return True
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return True
    if str(message.get("X-Auto-Response-Suppress") or "").strip().lower() in {"all", "oof"}:
        return True  # what Exchange puts on its own automatic replies
    if message.get_content_type() == "multipart/report":
        return True
    return_path = str(message.get("Return-Path") or "").strip()
    if return_path in {"<>", ""} and message.get("Return-Path") is not None:
        return True
    sender = _sender(message)[0]
    if not sender or _ROBOT_SENDERS.match(sender):
        return True
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject") or "")))


def authentication_passed(message):
    """False when the receiving MTA's Authentication-Results (the topmost header) report a failure.

    DMARC fail refuses; so does an SPF failure without a passing DKIM signature, and a failing DKIM
    signature without SPF pass. No header at all counts as passed (the MTA checked nothing).
    """
    header = message.get("Authentication-Results")
    if header is None:
        return True
    results = dict(re.findall(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", str(header).lower()))
    if results.get("dmarc") == "fail":
        return False
    spf, dkim = results.get("spf"), results.get("dkim")
    if spf in {"fail", "softfail"} and dkim != "pass":
        return False
    if dkim in {"fail", "permerror"} and spf != "pass":
        return False
    return True


def attachment_names(message):
    """File names of the files attached to a message.

    Images inside ``multipart/related`` or marked ``inline`` (the county logo of an Outlook
    signature) are not attachments: they are dropped with the HTML they decorate.
    """
    names = []

    def visit(part, in_related):
        if part.is_multipart():
            for child in part.iter_parts():
                visit(child, in_related or part.get_content_subtype() == "related")
            return
        disposition = part.get_content_disposition()
        if disposition == "attachment":
            names.append(part.get_filename() or part.get_content_type())
        elif disposition != "inline" and not in_related and part.get_content_maintype() != "text":
            names.append(part.get_filename() or part.get_content_type())

    visit(message, False)
    return names


#: Labels that mail clients put on windows-1252 text (the WHATWG encoding standard reads them so).
_LATIN_1_LABELS = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso_8859-1"}


def _body_part_text(part):
    if (part.get_content_charset() or "").lower() in _LATIN_1_LABELS:
        return (part.get_payload(decode=True) or b"").decode("cp1252", errors="replace")
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what can be read
        payload = part.get_payload(decode=True) or b""
        return payload.decode("latin-1", errors="replace")


def reply_text(message):
    """The new text of a reply: plain text preferred, HTML converted to Markdown, history cut."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _body_part_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_markdown(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return clean_reply(text)


def html_to_markdown(html):
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep paragraphs on one line: Markdown wraps them itself
    converter.ignore_images = True
    converter.unicode_snob = True
    return converter.handle(html).strip()


#: County legal footers mail-parser-reply's disclaimer list misses when no sign-off precedes them
#: ("CONFIDENTIALITY NOTICE: …", "This e-mail … is intended only for …"): cut from there on.
_DISCLAIMER = re.compile(
    r"^[ \t]*(?:(?:confidentiality|confidential|privileged|privacy|legal)[ \t]+(?:notice|statement|"
    r"warning)\b|this (?:e-?mail|message|communication|transmission)\b[^\n]{0,120}?\b(?:confidential|"
    r"intended (?:solely|only)|privileged))", re.IGNORECASE | re.MULTILINE)


def clean_reply(text):
    """Cut quoted history, "On … wrote:" and "From: … Sent: …" blocks, signatures, disclaimers."""
    from mailparser_reply import EmailReplyParser

    parsed = EmailReplyParser(languages=["en", "es", "de", "fr"]).read(text)
    body = parsed.replies[0].body if parsed.replies else text
    disclaimer = _DISCLAIMER.search(body)
    if disclaimer and disclaimer.start() > 0:
        body = body[:disclaimer.start()]
    lines = [line for line in body.split("\n") if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


# --- Answering ---------------------------------------------------------------------------------

def _answer(incoming, answer, row):
    """Send one short answer to the sender, unless that could feed a loop."""
    sender = incoming.sender
    if incoming.automatic or not sender or "@" not in sender:
        return
    own = {mail.sender_address().lower()}
    domain = (current_app.config.get("REPLY_MAIL_DOMAIN") or "").lower()
    if sender in own or (domain and sender.endswith("@" + domain)):
        return
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.sender_hash == _sha(sender), InboundMessage.answered_at >= since))
    if recent >= ANSWERS_PER_HOUR:
        log.warning("inbound: answer suppressed, %d answers to one sender this hour", recent)
        return
    subject, text = answer
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
               "Precedence": "auto_reply"}
    if incoming.message_id:
        headers["In-Reply-To"] = incoming.message_id
        headers["References"] = incoming.message_id
    body = f"{text}\n\n— {current_app.config['SITE_NAME']}\n"
    mail.send(mail.build_message((incoming.sender_name or "", sender) if incoming.sender_name
                                 else sender, subject, body, headers=headers))
    if row is not None:
        row.answered_at = utcnow()


# --- The two ways in -----------------------------------------------------------------------------

def receive(raw, recipients=()):
    """Accept a message and commit. Its job goes to Redis or the database queue (never run while
    the MTA waits), or runs when the app context ends where jobs run inline (tests)."""
    with jobs.deferred():
        outcome = accept(raw, recipients)
        db.session.commit()
    return outcome


class InboundHandler:
    """aiosmtpd handler: refuse other domains at RCPT, store the message at DATA."""

    def __init__(self, app):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = self.app.config.get("REPLY_MAIL_DOMAIN") or ""
        if not domain or not address.lower().endswith("@" + domain.lower()):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, self._store, raw, list(envelope.rcpt_tos))
        except Exception:
            log.exception("inbound: could not store a message")
            return "451 4.3.0 Temporary failure, please try again later"
        if outcome == "too-large":
            return "552 5.3.4 Message too big"
        return "250 2.0.0 Message accepted"

    def _store(self, raw, recipients):
        with self.app.app_context():
            return receive(raw, recipients)


def listener(app, host="127.0.0.1", port=2525, lmtp=False):
    """An aiosmtpd controller (not started) serving `InboundHandler` over SMTP or LMTP."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.lmtp import LMTP
    from aiosmtpd.smtp import SMTP

    handler = InboundHandler(app)
    limit = max_bytes(app)
    # aiosmtpd logs every recipient and, at DEBUG, every line of data: reply addresses are secrets.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class _Controller(Controller):
        def factory(self):
            return (LMTP if lmtp else SMTP)(self.handler, **self.SMTP_kwargs)

    return _Controller(handler, hostname=host, port=port, data_size_limit=limit,
                       enable_SMTPUTF8=True)


def init_app(app):
    @app.cli.group("mail")
    def mail_cli():
        """Mail in: replies by e-mail."""

    @mail_cli.command("receive")
    @click.option("--recipient", "recipients", multiple=True,
                  help="Envelope recipient (Postfix: ${recipient}); may be repeated.")
    @click.option("--max-bytes", "limit", type=int, help="Size limit (default REPLY_MAIL_MAX_BYTES).")
    def receive_command(recipients, limit):
        """Read one RFC 5322 message on standard input and queue it (for a pipe from the MTA).

        Exit status 0: taken (posted later, or answered); 75 (EX_TEMPFAIL): the MTA should retry.
        """
        if limit:
            app.config["REPLY_MAIL_MAX_BYTES"] = limit
        limit = max_bytes(app)
        stream = sys.stdin.buffer
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            while stream.read(1 << 20):  # drain, so the MTA sees the whole message taken
                pass
        if not raw.strip():
            click.echo("No message on standard input.", err=True)
            sys.exit(EX_DATAERR)
        try:
            outcome = receive(raw, recipients)
        except Exception:
            log.exception("inbound: could not store a message")
            db.session.rollback()
            click.echo("Temporary failure: the message could not be stored.", err=True)
            sys.exit(EX_TEMPFAIL)  # Postfix keeps the message and tries again
        click.echo(f"Message {outcome}.", err=True)

    @mail_cli.command("serve-inbound")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=2525, show_default=True, type=int)
    @click.option("--lmtp", is_flag=True, help="Speak LMTP instead of SMTP.")
    @click.option("--max-bytes", "limit", type=int, help="Size limit (default REPLY_MAIL_MAX_BYTES).")
    def serve_command(host, port, lmtp, limit):
        """Listen for replies by e-mail (point an MX or a relay transport at it)."""
        import threading

        if limit:
            app.config["REPLY_MAIL_MAX_BYTES"] = limit
        controller = listener(app, host, port, lmtp)
        controller.start()
        click.echo(f"Receiving {'LMTP' if lmtp else 'SMTP'} on {host}:{port} (Ctrl-C stops).")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
