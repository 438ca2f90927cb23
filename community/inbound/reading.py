"""Reading a message: sender, recipients, the reply without quotes or signatures, robots, attachments."""
import re
from email.errors import HeaderParseError
from email.header import decode_header, make_header
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


#: What Python's e-mail parser raises on messages it cannot read (comments or MIME nested thousands
#: deep, CR/LF in an encoded name, unknown encodings): such a message has no sender to trust.
UNREADABLE = (RecursionError, ValueError, LookupError, TypeError, AttributeError, IndexError,
              HeaderParseError)


def _sender(message):
    """(address, name) of the one mailbox in From:, or ("", "") when there is no single one to
    trust: a header that names a second address in its display name, an encoded word or a comment
    (`maria@county.gov <attacker@evil.org>`: Python's parser and the receiving server's checks
    read different addresses from it), or one that cannot be parsed at all."""
    raw = [value for key, value in message.raw_items() if key.lower() == "from"]
    try:
        # The header as written, encoded words decoded: the policy's parsed value would show
        # only the address it settled on.
        written = str(make_header(decode_header(raw[0]))) if len(raw) == 1 else ""
        header = str(message.get("From") or "")
    except UNREADABLE:
        return "", ""
    if written.count("@") != 1 or any(c in header + written.strip() for c in "\r\n"):
        return "", ""
    name, address = parseaddr(header)
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


#: Only the start of a message is read for the reply (a post is far shorter; what follows is
#: quoted history): the quote-cutting patterns are not linear in what they read.
READ_CHARS = 60_000
#: Invisible characters that would split a number the guard looks for (soft hyphen, zero-width).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def reply_text(message):
    """The new text of a reply: plain text preferred, HTML converted to Markdown, history cut."""
    from ..inputs import strip_controls

    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _body_part_text(part)[:READ_CHARS * 10]  # the steps before the cut below are linear
    if part.get_content_subtype() == "html":
        text = html_to_markdown(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # A run of spaces is one space (the quote patterns take time by the square of such a run);
    # controls are taken out as the web forms take them out.
    text = re.sub(r"[ \t\u00a0]{20,}", " ", _INVISIBLE.sub("", strip_controls(text)))
    # Runs of blank lines become one, and a very long line is broken at a space every 600-800
    # characters (a soft line break in Markdown): the reply parser's patterns also take time by
    # the square of a line's length or of a run of blank lines.
    text = re.sub(r"(?:[ \t]*\n){3,}", "\n\n", text)[:READ_CHARS]
    text = re.sub(r"([^\n]{600,800}) ", "\\1\n", text)
    return clean_reply(text)


#: Tags between two digits or dashes are dropped before converting, so
#: `123<b></b>-45-<span>6789</span>` stays one number for the guard (html2text would write
#: `123****-45- 6789`); bold and italics around words are kept.
_INLINE_TAGS = re.compile(r"(?<=[0-9-])(?:<[^<>]{0,200}>)+(?=[0-9-])")
_NESTING_TAGS = re.compile(r"<(/?)(?:ul|ol|blockquote|dl|table)\b", re.IGNORECASE)
#: Deeper lists or quotes than any person writes make html2text's output grow by the square.
MAX_NESTING = 20


def _too_deep(html):
    depth = deepest = 0
    for closing in (m.group(1) for m in _NESTING_TAGS.finditer(html)):
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest > MAX_NESTING


def html_to_markdown(html):
    import html2text

    html = _INLINE_TAGS.sub("", html)
    if _too_deep(html):  # keep the words, not the structure
        html = re.sub(r"</?(?:ul|ol|li|blockquote|dl|dd|dt|table|tr|td|th|tbody|thead)\b[^>]*>", "<br>",
                      html, flags=re.IGNORECASE)
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


#: A message that begins with a quoted message's header block (Outlook's "From: … Sent: …"
#: with nothing written above it) has no new text: what follows is all history.
_STARTS_WITH_HEADERS = re.compile(r"\A\s*\**(?:from|de|von)\s*:\**[^\n]*\n\s*\**(?:sent|date|enviado|fecha|"
                                  r"gesendet|datum|envoy[ée]|to|para|an|[àa])\s*:", re.IGNORECASE)
#: Where quoted history starts that the reply parser does not know: GroupWise's ">>> Name <a@b> date >>>"
#: and any line carrying one of this site's own reply addresses (only our e-mail has them).
_HISTORY = re.compile(r"^[ \t]*>>>[^\n]*$|^[^\n]*\breply\+[A-Za-z0-9_.=-]+@", re.MULTILINE)


def clean_reply(text):
    """Cut quoted history, "On … wrote:" and "From: … Sent: …" blocks, signatures, disclaimers."""
    from mailparser_reply import EmailReplyParser

    if _STARTS_WITH_HEADERS.match(text):
        return ""
    history = _HISTORY.search(text)
    if history:
        text = text[:history.start()]
    parsed = EmailReplyParser(languages=["en", "es", "de", "fr"]).read(text)
    body = parsed.replies[0].body if parsed.replies else text
    disclaimer = _DISCLAIMER.search(body)
    if disclaimer and disclaimer.start() > 0:
        body = body[:disclaimer.start()]
    lines = [line for line in body.split("\n") if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()
