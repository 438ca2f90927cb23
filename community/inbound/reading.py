"""Reading a message: sender, recipients, the reply without quotes or signatures, robots, attachments."""
import re
from email.utils import getaddresses, parseaddr

from .models import IncomingMail

_AUTO_SUBJECT = re.compile(r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|"
                           r"autoreply|abwesenheit|r[ée]ponse automatique|respuesta autom[áa]tica|"
                           r"delivery status notification|undeliver(?:ed|able)|returned mail)\b",
                           re.IGNORECASE)
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-response")
_ROBOT_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)(?:[+@-]|$)",
                            re.IGNORECASE)


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
    return not (dkim in {"fail", "permerror"} and spf != "pass")


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
        if disposition == "attachment" or (
                disposition != "inline" and not in_related and part.get_content_maintype() != "text"):
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
