"""What both search backends share: the facets, the sorts, the result shapes and the errors.

The page, the CLI and the listener see only these (through `backend`), so nothing outside this
package knows whether Whoosh (`engine`) or PostgreSQL (`postgres`) answered.
"""
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from ..vocabulary import (
    ACRONYMS,
    COUNTIES,
    DOCUMENT_TYPES,
    PROGRAMS,
    STRATEGIES,
    TOOLKIT_AREAS,
)

#: Facets shown with counts, in order: (field, heading, several values per document?).
FACETS = [
    ("kind", "Kind of content", False),
    ("type", "Document type", False),
    ("area", "Toolkit area", True),
    ("strategy", "Linkages strategy", True),
    ("county", "County", False),
    ("program", "Program", False),
    ("year", "Year", False),
]
#: Offer "did you mean" when a search finds this many results or fewer.
SUGGEST_BELOW = 3
FACET_FIELDS = {name for name, _, _ in FACETS}
SORTS = {"relevance": "Relevance", "newest": "Newest", "downloads": "Most downloaded"}

_county_names = {name.lower().replace(" ", "-"): name for name, _ in COUNTIES}
_vocabulary_labels = {
    "type": dict(DOCUMENT_TYPES), "area": dict(TOOLKIT_AREAS), "strategy": dict(STRATEGIES),
    "program": dict(PROGRAMS), "county": _county_names,
}
#: {field: {label or slug, lower-cased: slug}}: what people may type after `type:`, `county:` …
_slugs_by_typed = {name: {**{label.lower(): slug for slug, label in labels.items()},
                          **{slug.lower(): slug for slug in labels}}
                   for name, labels in _vocabulary_labels.items()}


class SearchUnavailable(Exception):
    """The index is missing, locked or unreadable; the message is for the log, not for people."""


class IndexBusy(Exception):
    """Another writer held the index lock for longer than SEARCH_LOCK_TIMEOUT."""


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    kind: str
    kind_label: str
    title: Markup
    url: str
    snippet: Markup
    created: datetime | None
    meta: list
    downloads: int
    #: The source's id of the document (`SearchDocument.id`).
    ref: str = ""


@dataclass
class Results:
    query: str
    hits: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    per_page: int = 10
    facets: dict = field(default_factory=dict)
    suggestion: str = ""
    error: str = ""


def facet_label(name, value, kind_labels):
    if name == "kind":
        return kind_labels.get(value, value.title())
    return _vocabulary_labels.get(name, {}).get(value, value)


def field_value(name, typed):
    """The indexed value of facet field `name` as a person typed it: its slug or its label, in
    any case (`county:Stanislaus`, `county:"Los Angeles"`, `type:MOU`, `type:"Practice protocol"`).
    Values outside the vocabulary are lower-cased (counties with dashes for spaces, as indexed)."""
    value = " ".join((typed or "").split()).lower()
    if name == "county" and value.endswith(" county"):
        value = value[:-len(" county")]
    known = _slugs_by_typed.get(name, {}).get(value)
    if known is not None:
        return known
    return value.replace(" ", "-") if name == "county" else value


def facet_values(name, counts, filters, kind_labels):
    """[FacetValue] of one facet from {value: count}: years newest first, the rest by count."""
    values = [FacetValue(value, facet_label(name, value, kind_labels), count, filters.get(name) == value)
              for value, count in counts.items() if value not in ("", "none", None)]
    if name == "year":
        values.sort(key=lambda v: v.value, reverse=True)
    else:
        values.sort(key=lambda v: (-v.count, v.label))
    return values


#: Words never corrected by "did you mean", however few documents hold them: the field's acronyms.
KEEP_AS_TYPED = frozenset(word.lower() for word in ACRONYMS)
