"""Markdown to safe HTML, once at save time: markdown-it-py, @mentions, link cards, then nh3.

Link cards: a link on a line of its own that points to a path on this site becomes a card when a
`cards.for_path` provider answers for it *with an anonymous viewer*, i.e. only for public content.
Cards are rendered at save time into the stored HTML, so using the author as viewer could copy a
private title into a post that other people read; an anonymous viewer cannot leak anything. Links
to members-only content stay plain links showing the text the author wrote.
"""
import html
import re
from urllib.parse import urlparse

import nh3
from flask import current_app, has_request_context, request, url_for
from flask_login import AnonymousUserMixin
from markdown_it import MarkdownIt

from .. import content

#: The HTML a post may contain after sanitizing.
ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol",
    "li", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span", "div",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "span": {"class"},
    "div": {"class"},
    "ol": {"start"},
}
#: @handle, or @"Full Name" for people whose handle one does not know.
MENTION = re.compile(r'(?<![\w@./])@(?:"([^"\n]{2,120})"|([a-z0-9][a-z0-9._-]{1,39}[a-z0-9]))',
                     re.IGNORECASE)

_markdown = (MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
             .enable("table").enable("strikethrough").enable("linkify"))


def site_path(endpoint, **values):
    """A path on this site for `endpoint`, with or without a request (jobs, CLI, demo seed)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _demote_headings(tokens):
    """Headings inside a post start at h3 so the page outline stays intact."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 2, 6)
            token.tag = f"h{level}"
    return tokens


def find_mentions(source):
    """The handles and quoted names mentioned in Markdown source, outside code."""
    without_code = re.sub(r"```.*?```|`[^`\n]*`", " ", source, flags=re.S)
    found = []
    for quoted, handle in MENTION.findall(without_code):
        found.append(("name", quoted.strip()) if quoted else ("handle", handle.lower()))
    return found


def _link_mentions(rendered, people):
    """Turn @mentions in text (not inside code or links) into profile links."""
    if not people:
        return rendered
    parts = re.split(r"(<[^>]+>)", rendered)
    inside = 0
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = re.match(r"</?(\w+)", part)
            if tag and tag.group(1) in ("a", "code", "pre"):
                inside += -1 if part.startswith("</") else 1
            continue
        if inside:
            continue

        def replace(match):
            quoted, handle = match.group(1), match.group(2)
            key = ("name", html.unescape(quoted).strip().lower()) if quoted else ("handle", handle.lower())
            person = people.get(key)
            if person is None:
                return match.group(0)
            href = site_path("accounts.profile", handle=person.handle)
            return f'<a class="mention" href="{href}">@{html.escape(person.handle)}</a>'

        parts[i] = re.sub(r'@(?:&quot;([^&\n]{2,120})&quot;|([a-z0-9][a-z0-9._-]{1,39}[a-z0-9]))',
                          replace, part, flags=re.IGNORECASE)
    return "".join(parts)


def _site_path(href):
    """The path of a link to this site, or None for other sites."""
    parts = urlparse(href)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc:
        own = {urlparse(current_app.config.get("SITE_URL") or "").netloc}
        if has_request_context():
            own.add(request.host)
        if parts.netloc not in own:
            return None
    if not parts.path.startswith("/"):
        return None
    return parts.path


def _card_html(card):
    meta = f'<span class="card-meta">{html.escape(card.meta)}</span>' if card.meta else ""
    summary = f'<span class="card-summary">{html.escape(card.summary)}</span>' if card.summary else ""
    return (f'<div class="link-card"><a href="{html.escape(card.url)}">{html.escape(card.title)}</a>'
            f"{meta}{summary}</div>")


def _expand_cards(rendered):
    """Replace paragraphs holding only a link to public site content with a card."""
    anonymous = AnonymousUserMixin()

    def replace(match):
        path = _site_path(html.unescape(match.group(1)))
        if path is None:
            return match.group(0)
        cards = content.provide_all("cards.for_path", path, anonymous)
        return _card_html(cards[0]) if cards else match.group(0)

    return re.sub(r'<p><a href="([^"]+)">[^<]*</a></p>', replace, rendered)


def render(source, people=None):
    """Sanitized HTML for Markdown `source`; `people` maps mention keys to users to link."""
    tokens = _demote_headings(_markdown.parse(source or ""))
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    rendered = _link_mentions(rendered, people or {})
    rendered = _expand_cards(rendered)
    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener")


def to_text(source):
    """Plain text of Markdown source, for search and e-mail excerpts."""
    rendered = _markdown.render(source or "")
    text = nh3.clean(rendered, tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def quote(author_handle, source, limit=1200):
    """Markdown that quotes a post in a reply."""
    body = (source or "").strip()
    if len(body) > limit:
        body = body[:limit].rsplit(" ", 1)[0] + " …"
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
    return f"> **@{author_handle}** wrote:\n>\n{quoted}\n\n"
