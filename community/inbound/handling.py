"""Taking a message in: store it once, then (in a job) hand it to the feature that owns its address
and send the sender at most one short answer."""
import hashlib
import logging
import re
from datetime import timedelta
from email import message_from_bytes, policy

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import content, jobs, mail
from ..extensions import db
from ..timeutil import utcnow
from .models import Handled, InboundMessage, IncomingMail
from .reading import UNREADABLE, _sender, is_automatic, parse

log = logging.getLogger(__name__)

#: Answers (refusals, review links) sent to one address per hour at most.
ANSWERS_PER_HOUR = 5
#: sysexits.h: the message could not be read; try again later.
EX_DATAERR, EX_TEMPFAIL = 65, 75


# --- Settings -------------------------------------------------------------------------------

def enabled(app=None):
    config = (app or current_app).config
    return bool(config.get("REPLY_MAIL_ENABLED") and config.get("REPLY_MAIL_DOMAIN"))


def max_bytes(app=None):
    return int((app or current_app).config["REPLY_MAIL_MAX_BYTES"])


def _sha(value):
    return hashlib.sha256(value if isinstance(value, bytes) else value.encode()).hexdigest()


# --- Taking a message in ----------------------------------------------------------------------

def accept(raw, recipients=()):
    """Store one message and queue its handling; returns "queued", "duplicate" or "too-large".

    The caller commits (the CLI and the listener do): the job runs once the row exists.
    """
    key = _sha(_message_id(raw).lower() or raw)
    if db.session.scalar(select(InboundMessage.id).where(InboundMessage.dedupe_key == key)):
        return "duplicate"
    too_large = len(raw) > max_bytes()
    # A message over the limit is recorded without its bytes, so a redelivery is a duplicate and
    # its answer counts toward the sender's hourly cap.
    row = InboundMessage(dedupe_key=key, raw=b"" if too_large else raw,
                         recipients="" if too_large else "\n".join(r.lower() for r in recipients),
                         status="too-large" if too_large else "queued",
                         handled_at=utcnow() if too_large else None)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same message, delivered at the same moment by another process
        return "duplicate"
    if too_large:
        _refuse_oversized(raw, row)
        return "too-large"
    jobs.enqueue(process, row.id)
    return "queued"


def _message_id(raw):
    """The `<…>` of a message's Message-ID header, or "" (comments and spaces around it do not
    make a redelivery a new message; a header nothing can parse has none)."""
    head = raw[:256 * 1024].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = re.search(rb"^message-id[ \t]*:[ \t]*(?:\r?\n[ \t]+)?[^\r\n<]*(<[^<>\r\n]{1,900}>)", head,
                      re.IGNORECASE | re.MULTILINE)
    return re.sub(r"\s+", "", found.group(1).decode("latin-1")) if found else ""


def _refuse_oversized(raw, row):
    """Answer a message over the size limit (parsed from its headers only)."""
    head = raw[:64 * 1024].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\n\n"
    message = message_from_bytes(head, policy=policy.default)
    try:
        automatic = is_automatic(message)
    except UNREADABLE:
        return  # headers no parser reads: nobody to trust with an answer
    incoming = IncomingMail(message_id=str(message.get("Message-ID") or ""),
                            sender=_sender(message)[0], sender_name="",
                            subject=str(message.get("Subject") or ""), recipients=[], text="",
                            automatic=automatic, too_large=True)
    row.sender_hash = _sha(incoming.sender)
    limit_mb = max_bytes() / (1024 * 1024)
    _answer(incoming, ("Your message was too large to post",
                       (f"Your message was larger than {limit_mb:.0f} MB, so nothing was posted. "
                        f"Please reply without attachments, or post on the site: "
                        f"{current_app.config['SITE_URL']}")), row)


def process(inbound_id):
    """Job: parse a stored message, hand it to the reply handler, answer the sender if needed."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.status != "queued":
        return
    try:
        message = message_from_bytes(row.raw, policy=policy.default)
        incoming = parse(message, row.recipients.split("\n") if row.recipients else ())
    except UNREADABLE as error:
        # Nested thousands deep, or headers no parser reads: nobody to trust with an answer.
        log.warning("inbound message %s: unreadable (%s)", row.id, type(error).__name__)
        row.status, row.handled_at, row.raw, row.recipients = "unreadable", utcnow(), b"", ""
        return
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
