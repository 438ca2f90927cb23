"""Whoosh's "did you mean": corrections made only of words a document the person may see holds."""
import re

from whoosh.query import Term

from .engine_index import parse
from .results import KEEP_AS_TYPED

#: Plain or fielded words "did you mean" may correct: (leading marks, field, word, closing marks).
_CORRECTABLE = re.compile(r"^([(+-]*)(?:([a-z]+):)?([^\W\d_]+)(\)*)$", re.IGNORECASE)
#: The fields a fielded word may be corrected in, by the names people type.
_SPELLING_FIELDS = {"": "words", "content": "words", "title": "title_words", "tag": "tag", "tags": "tag"}
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def _suggestion(searcher, query, allowed):
    """A corrected query built only from words of documents this person may see, or "".

    Each plain word (or `title:`, `content:`, `tag:` word) that no visible document holds is
    replaced by the nearest word, same first letter, that a visible document holds: candidates
    come from the unstemmed `words` (or `title_words`, `tag`) field and each is kept only if it
    occurs in a document the permission filter lets through, so a word that only content the
    person may not see contains is never offered. Phrases, prefixes,
    other fields, operators and acronyms (`KEEP_AS_TYPED`) are left as typed.

    :param allowed: the set of document numbers the person may see, or None for everything.
    """
    changed, words = False, []
    for token in query.split():
        match = _CORRECTABLE.match(token)
        if match and match[3].upper() not in _OPERATORS and (match[2] or "").lower() in _SPELLING_FIELDS:
            lead, field_name, word, trail = match.groups()
            better = _visible_correction(searcher, _SPELLING_FIELDS[(field_name or "").lower()],
                                         word.lower(), allowed)
            if better:
                token, changed = f"{lead}{field_name + ':' if field_name else ''}{better}{trail}", True
        words.append(token)
    if not changed:
        return ""
    corrected = " ".join(words)
    found = searcher.search(parse(corrected), limit=1, filter=allowed)
    return corrected if len(found) else ""


def _visible_correction(searcher, field_name, word, allowed):
    """The word within two edits of `word` that most visible documents hold; None when `word`
    itself is in a visible document, is kept as typed, or nothing visible is close."""
    if word in KEEP_AS_TYPED:
        return None
    if _visible_documents(searcher, field_name, word, allowed):
        return None
    for distance in (1, 2):
        ranked = []
        for candidate in searcher.reader().terms_within(field_name, word, distance, prefix=1):
            count = _visible_documents(searcher, field_name, candidate, allowed)
            if count:
                ranked.append((-count, candidate))
        if ranked:
            return min(ranked)[1]
    return None


def _visible_documents(searcher, field_name, word, allowed):
    """How many live documents this person may see hold `word` in `field_name`."""
    return sum(1 for doc in searcher.docs_for_query(Term(field_name, word))
               if allowed is None or doc in allowed)

