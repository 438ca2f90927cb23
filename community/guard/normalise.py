"""Text as the guard's rules read it: Unicode NFKC, one kind of dash, no entities, Markdown escapes,
emphasis or zero-width characters; each character keeps its span in the author's text."""
import html
import re
import unicodedata

_ENTITY = re.compile(r"&(?:#\d{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?)")
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^<>]{0,200}>")
_INLINE_TAGS = {"b", "i", "em", "strong", "span", "u", "mark", "code", "s", "del", "ins", "sup",
                "sub", "small", "big", "a", "font", "kbd", "var", "samp", "tt"}
_DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad\u2043\ufe58\ufe63\uff0d\u02d7")
_INVISIBLE = set("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u180e")
_MARKDOWN_ESCAPABLE = set("\\`*_{}[]()#+-.!|~<>&:'\"")
_EMPHASIS = set("*_~`")


def _normal_chars(piece):
    """One character (or an entity's text) as the matcher sees it."""
    out = []
    for char in unicodedata.normalize("NFKC", piece):
        if char in _INVISIBLE:
            continue
        if char in _DASHES:
            char = "-"
        elif char.isdigit() and not char.isascii():
            decimal = unicodedata.decimal(char, None)
            char = str(decimal) if decimal is not None else char
        elif char != "\n" and char.isspace():
            char = " "
        elif char in "\u2018\u2019\u02bc":
            char = "'"
        out.append(char)
    return out


def normalise(text):
    """(normalised text, starts, ends): for each normalised character, its span in `text`."""
    chars, starts, ends = [], [], []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        end, piece = position + 1, char
        if char == "&":
            entity = _ENTITY.match(text, position)
            if entity and html.unescape(entity.group()) != entity.group():
                end, piece = entity.end(), html.unescape(entity.group())
        elif char == "<":
            tag = _TAG.match(text, position)
            if tag:
                end = tag.end()
                piece = "" if tag.group(1).lower() in _INLINE_TAGS else " "
        elif char == "\\" and position + 1 < length and text[position + 1] in _MARKDOWN_ESCAPABLE:
            position += 1  # a Markdown escape: keep the character, drop the backslash
            continue
        for normal in _normal_chars(piece):
            chars.append(normal)
            starts.append(position)
            ends.append(end)
        position = end
    # Markdown emphasis and code marks touching a letter or digit are formatting, not text.
    keep = [True] * len(chars)
    index = 0
    while index < len(chars):
        if chars[index] in _EMPHASIS:
            run_end = index
            while run_end < len(chars) and chars[run_end] in _EMPHASIS:
                run_end += 1
            before = chars[index - 1] if index else " "
            after = chars[run_end] if run_end < len(chars) else " "
            if run_end - index <= 3 and (before.isalnum() or after.isalnum()):
                for dropped in range(index, run_end):
                    keep[dropped] = False
            index = run_end
        else:
            index += 1
    chars = [c for c, k in zip(chars, keep, strict=True) if k]
    starts = [s for s, k in zip(starts, keep, strict=True) if k]
    ends = [e for e, k in zip(ends, keep, strict=True) if k]
    return "".join(chars), starts, ends
