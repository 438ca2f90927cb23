"""The one mail module: builds proper messages and sends them through the configured transport.

Transports, chosen by `MAIL_URL`:
- empty or ``file``: each message is written to ``instance/outbox/`` as an ``.eml`` file;
- ``smtp://user:password@host:port`` (``smtps://`` for TLS, ``?starttls=1`` for STARTTLS);
- ``none``: messages are dropped (logged only).

Sending happens in a job (see `community.jobs`) after the transaction commits, so a message is
never sent for something that was rolled back.
"""
import logging
import re
import smtplib
import ssl
import uuid
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from flask import current_app, render_template

from . import jobs

log = logging.getLogger(__name__)

#: Headers whose value is one or more <URL>s: written as plain ASCII and folded only at spaces,
#: never RFC 2047-encoded (mailbox providers do not decode them, and then show no unsubscribe).
URL_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-archive", "list-help",
                         "list-subscribe", "list-post", "list-owner"})


#: Headers that hold mailboxes: written by `MailPolicy` itself, one whole mailbox at a time.
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
#: RFC 2047 §2: an encoded word is at most 75 characters; `email.header.Header` keeps to that.
_ENCODED_LINE = 75


class MailPolicy(EmailPolicy):
    """`email.policy.default`, with bodies that need no 8-bit transport and headers folded safely.

    - Bodies are 7-bit (quoted-printable or base64 where the text is not ASCII), in lines of at
      most 76 characters (RFC 2045 §6.7), so no relay has to be told `BODY=8BITMIME`.
    - URL headers are folded at whitespace and never encoded: Python's folder turns a header word
      longer than the line into encoded words (``=?utf-8?q?=3Chttp...?=``), which mailbox
      providers do not decode; RFC 5322 allows lines up to 998 characters.
    - Mailboxes (From, To, Reply-To …) are written one whole mailbox at a time: an ASCII name
      quoted where it holds specials, any other name as encoded words that hold the whole name.
      CPython 3.11's folder re-wrote a name such as ``Pat Doe, eve@example.org, Ü`` with its
      comma bare, which splits one mailbox into three (and smtplib took them as recipients).
    - The subject, when not ASCII, is encoded words of at most 75 characters that carry their
      own spaces (the standard folder could leave the space between two encoded words, which
      RFC 2047 §6.2 tells readers to drop, and made words of 76–77 characters).
    """

    def fold(self, name, value):
        folded = self._fold_own(name, value)
        return folded if folded is not None else super().fold(name, value)

    def fold_binary(self, name, value):
        folded = self._fold_own(name, value)
        return folded.encode("ascii") if folded is not None else super().fold_binary(name, value)

    def _fold_own(self, name, value):
        key = name.lower()
        if key in URL_HEADERS:
            words = str(value).split()
        elif key in ADDRESS_HEADERS and getattr(value, "addresses", None):
            mailboxes = [_mailbox(address) for address in value.addresses]
            words = [part for box in mailboxes[:-1] for part in (box + ",").split(" ")] + mailboxes[-1].split(" ")
        elif key == "subject" and not str(value).isascii():
            encoded = Header(str(value), "utf-8", header_name=name, maxlinelen=_ENCODED_LINE)
            return f"{name}: {encoded.encode(linesep=self.linesep)}{self.linesep}"
        elif key == "subject":
            words = str(value).split()
        else:
            return None
        if not all(word.isascii() for word in words):
            return None  # an address that is not ASCII (SMTPUTF8): the standard folder's affair
        lines, line = [], f"{name}:"
        for word in words:
            if len(line) + 1 + len(word) > self.max_line_length and line != f"{name}:" and line:
                lines.append(line)
                line = ""
            line += f" {word}"
        lines.append(line)
        return self.linesep.join(lines) + self.linesep


def _mailbox(address):
    """One mailbox as it is written in a header (`headerregistry.Address` in)."""
    name, spec = address.display_name, address.addr_spec
    if not name:
        return spec
    if name.isascii():
        return formataddr((name, spec))  # quoted, with its quotes and backslashes escaped, where needed
    words = Header(name, "utf-8", maxlinelen=_ENCODED_LINE).encode(linesep="\n")
    return " ".join(part.strip() for part in words.split("\n")) + f" <{spec}>"


#: The policy of every message built and sent here (smtplib writes CRLF line ends itself).
POLICY = MailPolicy(max_line_length=76, cte_type="7bit")


def build_message(to, subject, text, html=None, *, sender=None, reply_to=None, headers=None,
                  attachments=(), alternatives=()):
    """Return an EmailMessage with Message-ID, Date, a plain-text part and an optional HTML part.

    :param to: an address, a (name, address) pair, or a list of either.
    :param attachments: (filename, content bytes or str, mimetype) triples, or quadruples with
        the Content-Type parameters last (``{"method": "REQUEST", "charset": "utf-8"}``).
    :param alternatives: extra (content, mimetype, params) parts placed beside text and HTML,
        e.g. a ``text/calendar; method=REQUEST`` part for invitations.
    """
    msg = EmailMessage(policy=POLICY)
    sender = sender or current_app.config["MAIL_FROM"]
    msg["From"] = sender
    msg["To"] = ", ".join(_format_address(a) for a in _as_list(to))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=sender_domain(sender))
    if reply_to:
        msg["Reply-To"] = reply_to
    headers = dict(headers or {})
    # RFC 3834 §5: every message the site sends is made by the site, not typed by a person: an
    # out-of-office reply or another robot answers nothing back (unless told "auto-replied" …).
    if not any(name.lower() == "auto-submitted" for name in headers):
        headers["Auto-Submitted"] = "auto-generated"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for content, mimetype, params in alternatives:
        maintype, subtype = mimetype.split("/", 1)
        if isinstance(content, str):
            msg.add_alternative(content, subtype=subtype, params=params or {})
        else:
            msg.add_alternative(content, maintype=maintype, subtype=subtype, params=params or {})
    for filename, content, mimetype, *params in attachments:
        maintype, subtype = mimetype.split("/", 1)
        data = content.encode() if isinstance(content, str) else content
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename,
                           params=params[0] if params else None)
    return msg


def render_message(template, to, subject, *, attachments=(), alternatives=(), **context):
    """Build a message from ``email/<template>.txt`` and ``email/<template>.html`` (attachments
    and alternatives as for `build_message`)."""
    text = render_template(f"email/{template}.txt", subject=subject, **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return build_message(to, subject, text, html, attachments=attachments, alternatives=alternatives)


def send(msg):
    """Send a message after the current transaction commits (in a job)."""
    jobs.enqueue(deliver, *_wire(msg))


def _wire(msg):
    """(bytes, envelope recipients): Bcc names recipients but never travels in the message."""
    to = recipients(msg)
    del msg["Bcc"]
    return msg.as_bytes(), to


def recipients(msg):
    """The envelope recipients of a message built here: the addresses its To, Cc and Bcc were
    given, read from the header objects in memory, never from the bytes written out."""
    return [address.addr_spec for name in ("To", "Cc", "Bcc") for header in msg.get_all(name) or ()
            for address in header.addresses]


def sender_address(sender=None):
    """The bare address of `sender` (default MAIL_FROM): ``no-reply@cfpic.org``."""
    return parseaddr(sender or current_app.config["MAIL_FROM"])[1]


def sender_domain(sender=None):
    """The domain of `sender` (default MAIL_FROM), for Message-IDs and List-Ids."""
    return sender_address(sender).rpartition("@")[2] or "linkages.local"


def send_now(msg):
    """Send a message immediately through the transport; raises on failure (used by workers)."""
    deliver(*_wire(msg))


def deliver(raw: bytes, to=None):
    """Job: hand the message bytes to the configured transport, for the envelope recipients `to`
    (None: a job queued before recipients were passed, read from the message's headers)."""
    url = current_app.config.get("MAIL_URL") or "file"
    if url == "none":
        log.info("mail transport 'none': dropped a message")
        return
    if url == "file" or url.startswith("file:"):
        _write_outbox(raw)
        return
    if to is None:
        to = recipients(message_from_bytes(raw, policy=POLICY))
        log.warning("a message queued without its recipients was sent to the addresses in its headers")
    with smtp_connection(url) as smtp:
        smtp_send(smtp, raw, to)


def smtp_send(smtp, raw: bytes, to):
    """Send the message bytes to the envelope recipients `to` on an open connection, with the
    CRLF line ends of the wire (smtplib sends bytes as they are)."""
    raw = _LINE_END.sub(b"\r\n", raw)
    options = []
    smtp.ehlo_or_helo_if_needed()
    if any(byte > 127 for byte in raw) and smtp.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")  # never from messages built here (7-bit bodies)
    if not all(address.isascii() for address in to) and smtp.has_extn("smtputf8"):
        options.append("SMTPUTF8")
    smtp.sendmail(sender_address(), list(to), raw, mail_options=options)


_LINE_END = re.compile(rb"\r?\n")


def smtp_connection(url=None):
    """An open SMTP connection for `MAIL_URL`; use as a context manager."""
    url = url or current_app.config.get("MAIL_URL")
    parts = urlparse(url)
    query = parse_qs(parts.query)
    host, port = parts.hostname or "localhost", parts.port
    timeout = float(query.get("timeout", ["30"])[0])
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(host, port or 465, timeout=timeout,
                                context=ssl.create_default_context())
    elif parts.scheme == "smtp":
        smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
        if query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls(context=ssl.create_default_context())
    else:
        raise ValueError(f"unsupported MAIL_URL scheme {parts.scheme!r}")
    if parts.username:
        smtp.login(unquote(parts.username), unquote(parts.password or ""))
    return smtp


def _write_outbox(raw):
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(raw)
    tmp.rename(path)  # readers never see half a file


def _as_list(value):
    if isinstance(value, (list, set)):
        return list(value)
    return [value]


def _format_address(address):
    if isinstance(address, tuple):
        return formataddr(address)
    if hasattr(address, "email"):
        return formataddr((address.name, address.email))
    return address


def external_url(endpoint, **values):
    """An absolute URL for e-mail, feeds and calendar files, always on SITE_URL.

    Never built from the request: its Host header is whatever the client sent, and a reset link
    on someone else's host would hand them the secret.
    """
    parts = urlparse(current_app.config["SITE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
