"""Forum posts' Markdown: the site's one renderer (`community/markup.py`) with linkify,
strikethrough, headings from h3 and linked @mentions, once at save time; link cards when shown.

Link cards: a link on a line of its own that points to a path on this site is stored as that
plain link (a card slot) and becomes a card only when a post is shown, for the person reading it:
`cards_for` asks the `cards.for_paths` providers about every slot on a page at once. So a card
never shows a title its reader may not see, and a resource or event made private later drops
its card from old posts too (the link stays, with the author's own words). Posts saved when
cards were rendered into the stored HTML still hold `<div class="link-card">`: those are slots
as well, and their stored title is never shown again.
"""
import html
import re
from urllib.parse import urlparse

from flask import current_app, has_request_context, request, url_for
from markupsafe import Markup

from .. import markup as core

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


#: A card slot in stored post HTML: a paragraph holding only a link, or a card saved by an
#: earlier version (group 2), whose title may be stale and is never shown again.
_CARD_SLOT = re.compile(r'<p><a href="([^"]+)"[^>]*>[^<]*</a></p>'
                        r'|<div class="link-card"><a href="([^"]+)"[^>]*>.*?</div>', re.S)


def _slot_path(match):
    href = html.unescape(match.group(1) or match.group(2))
    return href, _site_path(href)


def cards_for(stored_htmls, viewer):
    """{path: ContentCard} for the card slots in these stored bodies that `viewer` may see:
    one call per feature for the whole page, however many cards it holds."""
    paths = set()
    for stored in stored_htmls:
        paths.update(path for _, path in map(_slot_path, _CARD_SLOT.finditer(stored or "")) if path)
    from .provides import linked_cards

    return linked_cards(paths, viewer) if paths else {}


def show_cards(stored, cards):
    """Stored post HTML as shown: each slot with a card in `cards` becomes that card; the others
    stay plain links (an old stored card becomes a link showing its address, not its title)."""

    def replace(match):
        href, path = _slot_path(match)
        card = cards.get(path) if path else None
        if card is not None:
            return _card_html(card)
        if match.group(1):
            return match.group(0)
        return f'<p><a href="{html.escape(href)}" rel="nofollow noopener">{html.escape(href)}</a></p>'

    return Markup(_CARD_SLOT.sub(replace, stored or ""))


def bodies_with_cards(posts, viewer):
    """{post id: body HTML with cards for `viewer`} for the posts a page shows (None skipped)."""
    posts = [post for post in posts if post is not None]
    cards = cards_for([post.body_html for post in posts], viewer)
    return {post.id: show_cards(post.body_html, cards) for post in posts}


def render(source, people=None):
    """Sanitized HTML for Markdown `source`; `people` maps mention keys to users to link."""
    return core.markdown_html(
        source, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener", linkify=True,
        strikethrough=True, tokens_hook=_demote_headings,
        html_hook=lambda rendered: _link_mentions(rendered, people or {}))


def to_text(source):
    """Plain text of Markdown source, for search and e-mail excerpts."""
    text = core.plain_text(source, linkify=True, strikethrough=True)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def quote(author_handle, source, limit=1200):
    """Markdown that quotes a post in a reply."""
    body = (source or "").strip()
    if len(body) > limit:
        body = body[:limit].rsplit(" ", 1)[0] + " …"
    quoted = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
    return f"> **@{author_handle}** wrote:\n>\n{quoted}\n\n"
