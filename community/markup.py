"""The one Markdown renderer: markdown-it-py to HTML, cleaned by nh3 with an allow-list.

Feature areas render once at save time and store the HTML. The forums call it with their
options and two hooks (headings demoted, @mentions linked: `community/forums/markup.py`);
everything else calls it as it is.
"""
import re
from functools import lru_cache
from html import unescape

import nh3
from markdown_it import MarkdownIt


@lru_cache(maxsize=8)
def _parser(typographer=False, linkify=False, tables=True, strikethrough=False):
    parser = MarkdownIt("commonmark", {"html": False, "typographer": typographer, "linkify": linkify})
    for rule, wanted in (("table", tables), ("strikethrough", strikethrough), ("linkify", linkify)):
        if wanted:
            parser.enable(rule)
    return parser


def markdown_html(source, *, tags=None, attributes=None, url_schemes=None,
                  link_rel="noopener noreferrer nofollow", typographer=False, linkify=False,
                  strikethrough=False, tokens_hook=None, html_hook=None):
    """Markdown to sanitized HTML. Raw HTML never passes; `tags` narrows nh3's default allow-list.

    :param linkify: bare addresses become links; :param strikethrough: ``~~text~~``.
    :param tokens_hook: tokens_hook(tokens) -> tokens, to adjust the parsed document.
    :param html_hook: html_hook(html) -> html, run before sanitizing (what it adds is cleaned too).
    """
    parser = _parser(typographer, linkify, True, strikethrough)
    tokens = parser.parse(source or "")
    if tokens_hook is not None:
        tokens = tokens_hook(tokens)
    html = parser.renderer.render(tokens, parser.options, {})
    if html_hook is not None:
        html = html_hook(html)
    options = {"link_rel": link_rel}
    if tags is not None:
        options["tags"] = set(tags)
    if attributes is not None:
        options["attributes"] = attributes
    if url_schemes is not None:
        options["url_schemes"] = set(url_schemes)
    return nh3.clean(html, **options)


def plain_text(source, linkify=False, strikethrough=False):
    """Markdown as one line of plain text, for search documents and previews."""
    rendered = _parser(False, linkify, True, strikethrough).render(source or "")
    return re.sub(r"\s+", " ", nh3.clean(rendered, tags=set())).strip()


def plain_lines(source):
    """Markdown as plain text, one line per paragraph and per list item ("- item"), for cards
    that keep a description's lists (newsletter event cards)."""
    html = re.sub(r"<li>\s*(?:<p>)?", "\n- ", _parser().render(source or ""))
    html = re.sub(r"</(?:p|li|h[1-6]|blockquote|pre)>|<br\s*/?>", "\n", html)
    text = unescape(nh3.clean(html, tags=set()))
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and line != "-")
