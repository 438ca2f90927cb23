"""The one renderer of an issue: the same HTML and text for preview, test send, sending and archive.

An issue is rendered once per send with placeholders where each recipient's links go, CSS inlined
with css-inline, and then personalized per recipient by replacing the placeholders; that keeps a
10,000-recipient send from inlining CSS 10,000 times.
"""
import binascii
import re
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr
from urllib.parse import urljoin

import css_inline
from flask import current_app, render_template

from community import mail
from community.markup import markdown_html

from .blocks import public_cards

#: Replaced per recipient (unlikely to occur in content, unchanged by HTML escaping).
UNSUBSCRIBE_PLACEHOLDER = "NLUNSUBSCRIBEURLPLACEHOLDER"
PREFERENCES_PLACEHOLDER = "NLPREFERENCESURLPLACEHOLDER"

_ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h3", "h4",
                 "code", "pre", "hr"}


def markdown_to_html(text):
    """Markdown rendered once at save time and sanitized (no raw HTML passes)."""
    return markdown_html(text, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener",
                         typographer=True)


class Rendered:
    """An issue's HTML and text with recipient placeholders still in them."""

    def __init__(self, issue, html, text):
        self.issue = issue
        self.html = html
        self.text = text

    def for_recipient(self, unsubscribe_url, preferences_url):
        html = (self.html.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
                .replace(PREFERENCES_PLACEHOLDER, preferences_url))
        text = (self.text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
                .replace(PREFERENCES_PLACEHOLDER, preferences_url))
        return html, text


def issue_contents(issues):
    """{issue id: what its blocks show now}, for several issues at once (the feed): each block
    with the cards still public (see `blocks.public_cards`), checked in one round of lookups."""
    blocks = [block for issue in issues for block in issue.blocks]
    cards = iter(public_cards(blocks))
    return {issue.id: {"issue": issue, "intro_html": markdown_to_html(issue.introduction),
                       "blocks": [(block, next(cards)) for block in issue.blocks],
                       "summary_parts": summary_parts, "absolute": absolute}
            for issue in issues}


def render_issue_content(contents):
    """The issue's introduction and blocks as HTML for a web page or a feed (no e-mail frame)."""
    return render_template("newsletters/_issue_content.html", audience="page", **contents)


def summary_parts(text):
    """A card's summary as paragraphs and lists: [("p", line)] or [("ul", [items])]."""
    parts = []
    for line in (text or "").splitlines():
        if line.startswith("- "):
            if not parts or parts[-1][0] != "ul":
                parts.append(("ul", []))
            parts[-1][1].append(line[2:])
        elif line.strip():
            parts.append(("p", line))
    return parts


def render_issue(issue, audience="email"):
    """Render `issue` for e-mail (placeholders for the recipient's links) or for the web version;
    cards whose target is no longer public are left out, whenever the issue is rendered."""
    context = {
        **issue_contents([issue])[issue.id],
        "audience": audience,
        "web_url": mail.external_url("newsletters.issue_page", issue_id=issue.id, slug=issue.slug),
        "archive_url": mail.external_url("newsletters.archive"),
        "subscribe_url": mail.external_url("newsletters.subscribe"),
        "logo_url": mail.external_url("static", filename="favicon.svg"),
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "preferences_url": PREFERENCES_PLACEHOLDER,
        "config": current_app.config,
    }
    html = render_template("newsletters/email/issue.html", **context)
    html = css_inline.inline(html, keep_at_rules=True, load_remote_stylesheets=False)
    text = render_template("newsletters/email/issue.txt", **context)
    return Rendered(issue, html, text)


def absolute(url):
    """Paths on this site as absolute URLs, for mail clients."""
    if url.startswith(("http://", "https://", "mailto:")):
        return url
    return urljoin(mail.external_url("core.home"), url)


def list_id():
    """`List-Id` value: a name and a domain we own (RFC 2919)."""
    return f"{current_app.config['SITE_NAME']} newsletter <newsletter.{mail.sender_domain()}>"


def build_issue_message(rendered, address, name, unsubscribe_url, preferences_url, message_id,
                        subject_prefix="", test_copy=False):
    """An EmailMessage for one recipient with the RFC 2369/8058 list headers.

    A test copy (to the organizer, who is no subscriber) has no List-Unsubscribe: a mailbox's
    "Unsubscribe" button would POST to a page that unsubscribes nobody (RFC 8058 §3.1)."""
    html, text = rendered.for_recipient(unsubscribe_url, preferences_url)
    headers = {"List-Id": list_id()}
    if not test_copy:
        headers.update({"List-Unsubscribe": f"<{unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    headers.update({"List-Archive": f"<{mail.external_url('newsletters.archive')}>", "Precedence": "bulk"})
    to = (name, address) if name else address
    msg = mail.build_message(to, subject_prefix + rendered.issue.subject, text, html,
                             headers=headers)
    if message_id:
        # Stable per issue and recipient: a copy re-sent after a crash carries the same id.
        msg.replace_header("Message-ID", message_id)
    return msg


class WireTemplate:
    """An issue's message as wire bytes, encoded once; `for_recipient` fills in one person.

    The same headers and parts as `build_issue_message` (which test sends keep using), but the
    quoted-printable bodies are encoded once per send: each body is cut at the recipient's links
    and every piece encoded on its own, ending in a soft line break, so a recipient costs a few
    small encodings and a join instead of building and encoding a 40 kB message.
    """

    _PLACEHOLDERS = re.compile(f"({UNSUBSCRIBE_PLACEHOLDER}|{PREFERENCES_PLACEHOLDER})")

    def __init__(self, rendered, subject_prefix=""):
        self.envelope_from = mail.sender_address()
        policy = mail.POLICY.clone(linesep="\r\n")
        self._fold = lambda name, value: policy.fold_binary(name, policy.header_factory(name, value))
        self.boundary = f"=============={uuid.uuid4().hex}=="
        self.head = b"".join(self._fold(name, value) for name, value in [
            ("From", current_app.config["MAIL_FROM"]),
            ("Subject", subject_prefix + rendered.issue.subject)])
        self.list_headers = b"".join(self._fold(name, value) for name, value in [
            ("List-Id", list_id()),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("List-Archive", f"<{mail.external_url('newsletters.archive')}>"),
            ("Precedence", "bulk"),
            ("Auto-Submitted", "auto-generated"),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{self.boundary}"')])
        self.parts = [self._part("plain", rendered.text), self._part("html", rendered.html)]

    def _part(self, subtype, body):
        """[bytes, placeholder, bytes, ...]: the part's head and encoded pieces."""
        head = (f"--{self.boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode()
        if not body.endswith("\n"):
            body += "\n"
        pieces = self._PLACEHOLDERS.split(body.replace("\r\n", "\n").replace("\n", "\r\n"))
        encoded = [head]
        for index, piece in enumerate(pieces):
            if index % 2:
                encoded.append(piece)  # a placeholder, filled per recipient
            elif index < len(pieces) - 1:
                encoded.append(_quoted_printable(piece.encode()) + b"=\r\n")
            else:
                encoded.append(_quoted_printable(piece.encode()))
        return encoded

    def for_recipient(self, address, name, unsubscribe_url, preferences_url, message_id):
        """The wire bytes of the message to one person."""
        links = {UNSUBSCRIBE_PLACEHOLDER: _quoted_printable(unsubscribe_url.encode()) + b"=\r\n",
                 PREFERENCES_PLACEHOLDER: _quoted_printable(preferences_url.encode()) + b"=\r\n"}
        out = [self.head, self._to(address, name),
               b"Date: " + format_datetime(datetime.now(timezone.utc)).encode() + b"\r\n",
               b"Message-ID: " + message_id.encode("ascii") + b"\r\n",
               # One unbroken line, as `mail.MailPolicy` writes URL headers (a URL has no spaces).
               b"List-Unsubscribe: <" + unsubscribe_url.encode("ascii") + b">\r\n",
               self.list_headers, b"\r\n"]
        for part in self.parts:
            out += [links[piece] if isinstance(piece, str) else piece for piece in part]
            out.append(b"\r\n")
        out.append(f"--{self.boundary}--\r\n".encode())
        return b"".join(out)


    def _to(self, address, name):
        """The To header; the standard folder (slow) only for what needs encoding or folding."""
        try:
            line = f"To: {formataddr((name, address)) if name else address}\r\n".encode("ascii")
        except UnicodeEncodeError:  # an address with non-ASCII letters
            line = b""
        if not line or len(line) > 78 or b"=?" in line:
            return self._fold("To", formataddr((name, address)) if name else address)
        return line


def _quoted_printable(data):
    """Quoted-printable with CRLF soft line breaks (binascii uses LF when `data` holds no CRLF)."""
    encoded = binascii.b2a_qp(data, istext=True)
    return encoded if b"\r\n" in data else encoded.replace(b"=\n", b"=\r\n")
