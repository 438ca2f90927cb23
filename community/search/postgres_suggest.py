"""PostgreSQL's "did you mean": pg_trgm over the word list, kept only for words a visible document holds."""
from sqlalchemy import exists, func, select

from ..extensions import db
from .models import SearchDocument, SearchWord
from .postgres_query import _OPERATORS, LANGUAGE, compile_query
from .results import KEEP_AS_TYPED

#: Words shorter than this are never corrected: acronyms (SSN, WIC, ACL, TDM …) are short.
SUGGEST_MIN_LENGTH = 4

_docs = SearchDocument.__table__
_words = SearchWord.__table__


def _visible_match(query, permitted):
    return exists(select(1).select_from(_docs).where(
        _docs.c.tsv.op("@@")(query), *([permitted] if permitted is not None else [])))


def _correction(word, permitted):
    """The nearest word of the vocabulary that matches a document the viewer may see, if any."""
    lowered = word.lower()
    own = func.plainto_tsquery(LANGUAGE, lowered)
    known, lexemes = db.session.execute(select(_visible_match(own, permitted), func.numnode(own))).one()
    if known or not lexemes:  # found as typed, or a stop word
        return None
    candidate = _words.c.word
    rows = db.session.scalars(
        select(candidate)
        .where(candidate.op("%")(lowered), func.left(candidate, 1) == lowered[:1], candidate != lowered,
               _visible_match(func.plainto_tsquery(LANGUAGE, candidate), permitted))
        .order_by(func.similarity(candidate, lowered).desc(), candidate).limit(10)).all()
    return next((row for row in rows if _distance(row, lowered) <= 2), None)




def _suggestion(query, permitted):
    """A corrected query, offered only if it finds something the viewer may see.

    A plain word is corrected only when no visible document contains it, and only to a word that
    occurs in a visible document (checked in the same SQL as the permission filter), so no word
    of a hidden document is ever suggested. Short words and words typed in capitals (acronyms)
    are left alone; fielded terms, phrases, prefixes and operators too.
    """
    changed, words = False, []
    for word in query.split():
        if (word.isalpha() and word.upper() not in _OPERATORS and len(word) >= SUGGEST_MIN_LENGTH
                and not word.isupper() and word.lower() not in KEEP_AS_TYPED):
            corrected = _correction(word, permitted)
            if corrected:
                word, changed = corrected, True
        words.append(word)
    if not changed:
        return ""
    corrected = " ".join(words)
    condition = compile_query(corrected).condition
    where = [c for c in (condition, permitted) if c is not None]
    found = db.session.scalar(select(exists(select(1).select_from(_docs).where(*where))))
    return corrected if found else ""


def _distance(a, b):
    """Levenshtein distance (words are short)."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]

