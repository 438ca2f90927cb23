"""The site's search language read for PostgreSQL: a parser as Whoosh reads queries, compiled to SQL.

User input never becomes SQL or tsquery syntax: every word goes in as a bound parameter to
`plainto_tsquery`/`phraseto_tsquery`, and the only tsquery text built here (prefixes, title
terms) is made of letters and digits joined by operators written in this module.

Every value a query holds is a parameter named by its place (`q0`, `q1`, …), so two queries of
the same shape ("reunification timelines" and "kinship care") compile to the same expression but
for those values: the search statement around it is built once per shape (`postgres.search`).
"""
import re

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
)

from .models import SearchDocument
from .results import field_value

#: The text search configuration (stemming, stop words) for documents and queries alike.
LANGUAGE = literal_column("'english'::regconfig")
#: For prefixes: lower-cased, not stemmed.
_PLAIN = literal_column("'simple'::regconfig")
#: A query with more terms than this is refused as unreadable (it would only be slow).
MAX_TERMS = 64
#: The pieces of a word that may go into tsquery text: letters and digits only.
_PIECE = re.compile(r"[^\W_]+")

_docs = SearchDocument.__table__


class QueryError(Exception):
    """The search cannot be read; the message says why."""


_TOKENS = re.compile(r'''
    (?P<open>\() | (?P<close>\)) |
    (?P<field>[A-Za-z]+):(?:"(?P<fphrase>[^"]*)"?|(?P<fvalue>[^\s()"]+)) |
    "(?P<phrase>[^"]*)"? |
    (?P<word>[^\s()"]+)
''', re.VERBOSE)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT"}
_ALIASES = {"tags": "tag", "doctype": "type"}
#: Fields of the query language: facet fields, tags, and the two text fields.
_SCALAR_FIELDS = {"kind": "kind", "type": "doc_type", "county": "county", "program": "program", "year": "year"}
_LIST_FIELDS = {"area": "areas", "strategy": "strategies", "tag": "tags"}
_TEXT_FIELDS = {"title", "content"}


def _tokens(query):
    for match in _TOKENS.finditer(query):
        if match.group("open"):
            yield ("open", None)
        elif match.group("close"):
            yield ("close", None)
        elif match.group("field") is not None:
            name = _ALIASES.get(match.group("field").lower(), match.group("field").lower())
            phrase = match.group("fphrase") is not None
            value = match.group("fphrase") if phrase else match.group("fvalue")
            if name in _SCALAR_FIELDS or name in _LIST_FIELDS or name in _TEXT_FIELDS:
                yield ("field", (name, value, phrase))
            else:  # not a field: its words are searched, as Whoosh does
                yield ("word", match.group(0))
        elif match.group("phrase") is not None:
            yield ("phrase", match.group("phrase"))
        else:
            word = match.group("word")
            yield ("op", word) if word in _OPERATORS else ("word", word)


class _Parser:
    """The site's query language, read as Whoosh reads it: explicit AND/OR (AND first) bind
    tighter than words side by side, which all must match; NOT applies to what follows it;
    stray parentheses and operators are ignored."""

    def __init__(self, query):
        self.tokens = list(_tokens(query))
        self.position = 0
        self.terms = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.position += 1
        return token

    def parse(self):
        node = self.sequence(top=True)
        if self.terms > MAX_TERMS:
            raise QueryError(f"it has more than {MAX_TERMS} terms.")
        return node

    def sequence(self, top=False):
        items = []
        while True:
            kind, _ = self.peek()
            if kind is None:
                break
            if kind == "close":
                self.take()
                if top:
                    continue
                break
            node = self.disjunction()
            if node is not None:
                items.append(node)
        return _and(items)

    def disjunction(self):
        items = [self.conjunction()]
        while self.peek() == ("op", "OR"):
            self.take()
            items.append(self.conjunction())
        return _or([item for item in items if item is not None])

    def conjunction(self):
        items = [self.unary()]
        while self.peek()[0] == "op" and self.peek()[1] in ("AND", "ANDNOT"):
            _, operator = self.take()
            following = self.unary()
            items.append(("not", following) if operator == "ANDNOT" and following is not None else following)
        return _and([item for item in items if item is not None])

    def unary(self):
        kind, value = self.peek()
        if kind == "op":
            self.take()
            if value == "NOT":
                inner = self.unary()
                return ("not", inner) if inner is not None else None
            return None  # a stray AND/OR
        if kind == "open":
            self.take()
            return self.sequence()
        if kind is None or kind == "close":
            return None
        self.take()
        self.terms += 1
        return (kind, value)


def _and(items):
    items = [item for item in items if item is not None]
    return None if not items else items[0] if len(items) == 1 else ("and", items)


def _or(items):
    items = [item for item in items if item is not None]
    return None if not items else items[0] if len(items) == 1 else ("or", items)


class _TS:
    """A tsquery expression (combinable with other tsqueries) rather than a row condition.

    `loose`, when given, is the same words without phrase adjacency or title weights: it finds
    every document the expression finds and more, and the GIN index answers it without reading
    rows. A phrase or title term has to be checked on the row; `_match` checks it on the short
    `rank_tsv` first and unpacks the whole `tsv` only when that fails. `loose` is None where
    there is nothing to check (the expression is its own loose form) and for anything under NOT,
    whose loose form would find less, not more.
    """

    def __init__(self, expression, loose=None, checked=True, title=False):
        self.expression = expression
        self.loose = loose
        #: False under NOT: the expression is matched as it is, checked on the whole `tsv`.
        self.checked = checked
        #: Title terms only (weight A): `rank_tsv` holds the title as `tsv` does, so it answers alone.
        self.title = title


class _Values:
    """The values of one query, each bound as a parameter named by its place."""

    def __init__(self):
        self.values = {}

    def __call__(self, value):
        name = f"q{len(self.values)}"
        self.values[name] = value
        return bindparam(name, value)


def _pieces(value):
    return _PIECE.findall((value or "").lower())


def _word_query(word, bound):
    if word.endswith("*") and len(word) > 1:
        # A prefix matches the indexed (stemmed) words as typed, unstemmed, as in Whoosh:
        # "reunif*" finds "reunification"; "coordinat*" does not find "coordinate" (coordin).
        pieces = _pieces(word[:-1])
        if not pieces:
            return None
        terms = pieces[:-1] + [pieces[-1] + ":*"]
        if len(terms) == 1:
            return _TS(func.to_tsquery(_PLAIN, bound(terms[0])))
        return _TS(func.to_tsquery(_PLAIN, bound(" <-> ".join(terms))),
                   func.to_tsquery(_PLAIN, bound(" & ".join(terms))))
    return _TS(func.plainto_tsquery(LANGUAGE, bound(word)))


def _phrase_query(value, bound):
    """The words of `value` next to each other, in order; loosely, all of them anywhere."""
    value = bound(value)
    return _TS(func.phraseto_tsquery(LANGUAGE, value), func.plainto_tsquery(LANGUAGE, value))


def _title_query(value, phrase, bound):
    pieces = _pieces(value.rstrip("*"))
    if not pieces:
        return None
    prefix = value.endswith("*") and not phrase
    terms = pieces[:-1] + [pieces[-1] + (":*" if prefix else "")]
    config = _PLAIN if prefix else LANGUAGE
    return _TS(func.to_tsquery(config, bound((" <-> " if phrase or len(pieces) > 1 else " & ")
                                             .join(term + ("A" if term.endswith(":*") else ":A") for term in terms))),
               func.to_tsquery(config, bound(" & ".join(terms))), title=True)


def _starting(column, value, bound):
    """`column` starts with `value` as typed (LIKE's wildcards in it escaped)."""
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return column.startswith(bound(escaped), escape="/")


def _field_condition(name, value, phrase, bound):
    value = (value or "").strip().lower()
    if name in _TEXT_FIELDS:
        if name == "title":
            return _title_query(value, phrase, bound)
        return _phrase_query(value, bound) if phrase else _word_query(value, bound)
    prefix = value.endswith("*") and not phrase
    value = value.rstrip("*") if prefix else value
    if name != "tag":  # slugs or labels as people type them: county:"Los Angeles", type:MOU
        value = value.replace(" ", "-") if prefix and name == "county" else field_value(name, value)
    if name in _SCALAR_FIELDS:
        column = _docs.c[_SCALAR_FIELDS[name]]
        return _starting(column, value, bound) if prefix else column == bound(value)
    column = _docs.c[_LIST_FIELDS[name]]
    if prefix:
        each = func.unnest(column).table_valued("value").render_derived()
        return exists(select(1).select_from(each).where(_starting(each.c.value, value, bound)))
    return bound(value).op("=")(func.any(column))


class _Compiled:
    """What a parsed query becomes: a row condition, the tsquery that ranks and highlights, and
    the values bound in them by name (`q0`, `q1`, …)."""

    def __init__(self, condition, ranking, values=None):
        self.condition = condition
        self.ranking = ranking
        self.values = values or {}


def _match(ts, shortcut=True):
    if ts.loose is None or not ts.checked or not shortcut:
        return _docs.c.tsv.op("@@")(ts.expression)
    # The index finds the loose form without reading rows; the exact form is then checked on the
    # rows that pass every cheaper condition, on `rank_tsv` first (a part of `tsv`, so what it
    # finds is in `tsv` too) and on the whole `tsv` only when that fails. Called as functions,
    # not operators, so the planner does not hand them to the index (which rechecks on `tsv`).
    in_rank = func.ts_match_vq(_docs.c.rank_tsv, ts.expression)
    return and_(_docs.c.tsv.op("@@")(ts.loose),
                in_rank if ts.title else or_(in_rank, func.ts_match_vq(_docs.c.tsv, ts.expression)))


def _compile_node(node, positive, ranking, bound, shortcut=True):
    kind, value = node
    if kind in ("word", "phrase"):
        query = _word_query(value, bound) if kind == "word" else _phrase_query(value, bound)
        if query is None:
            return None
        if positive:
            ranking.append(query.expression)
        return query
    if kind == "field":
        compiled = _field_condition(*value, bound)
        if isinstance(compiled, _TS) and positive:
            ranking.append(compiled.expression)
        return compiled
    if kind == "not":
        inner = _compile_node(value, not positive, ranking, bound, shortcut)
        if inner is None:
            return None
        return _TS(func.tsquery_not(inner.expression), checked=False) if isinstance(inner, _TS) else not_(inner)
    parts = [part for part in (_compile_node(child, positive, ranking, bound, shortcut) for child in value)
             if part is not None]
    if not parts:
        return None
    combine_ts = func.tsquery_and if kind == "and" else func.tsquery_or
    if all(isinstance(part, _TS) for part in parts):
        expression, loose = parts[0].expression, _loose(parts[0])
        for part in parts[1:]:
            expression, loose = combine_ts(expression, part.expression), combine_ts(loose, _loose(part))
        checked = all(part.checked for part in parts)
        return _TS(expression, loose if checked and any(part.loose is not None for part in parts) else None, checked,
                   title=all(part.title for part in parts))
    conditions = [_match(part, shortcut) if isinstance(part, _TS) else part for part in parts]
    return and_(*conditions) if kind == "and" else or_(*conditions)


def _loose(ts):
    return ts.expression if ts.loose is None else ts.loose


def compile_query(query, shortcut=True):
    """A query in the site's language as a SQL condition on `search_documents` (None: all).

    With `shortcut` (always, but in tests) phrases and title terms are found through their loose
    form and checked on `rank_tsv` first (`_match`); without it, matched as written.
    """
    node = _Parser(query).parse()
    if node is None:  # only operators or stop words: nothing, as Whoosh finds
        return _Compiled(false(), None)
    ranking, bound = [], _Values()
    compiled = _compile_node(node, True, ranking, bound, shortcut)
    condition = _match(compiled, shortcut) if isinstance(compiled, _TS) else compiled
    ranked = None
    for part in ranking:
        ranked = part if ranked is None else func.tsquery_or(ranked, part)
    return _Compiled(condition if condition is not None else false(), ranked, bound.values)

