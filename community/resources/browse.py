"""The library page's filters, counts, chips and sorts over what a viewer may see.

Without words, the library's own table answers: one query reads the facet columns of every
resource the permission policy lets the viewer see, filters and counts them, and one more loads
the page shown. The filtered, sorted ids and the counts are kept per app for each (what the viewer
may see, filters, sort) and used while the library's version (`LibraryVersion`: a number that
database triggers raise with every write to the resources, their versions and clusters) is
unchanged, so every process and machine notices an edit, a deletion, a new resource or a
download at its next page view. With words, the site search backend answers (narrowed to
resources, with the same filters), so relevance, snippets and "did you mean" are the ones the
search page gives.
"""
import math
from dataclasses import dataclass, field

from flask import current_app, request
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import County
from ..caching import remember
from ..extensions import db
from ..permissions import access_filter
from ..search import backend as site_search
from ..vocabulary import COUNTIES, DOCUMENT_TYPES, PROGRAMS, STRATEGIES, TOOLKIT_AREAS
from .models import LibraryVersion, Resource

#: The filters of the panel, in order: (query parameter, heading). The names are the search's
#: facet fields, so a filtered library address means the same thing with or without words.
FACETS = [("county", "County"), ("program", "Program"), ("type", "Type"),
          ("area", "Toolkit area"), ("strategy", "Strategy"), ("year", "Year")]
HEADINGS = dict(FACETS)
SORTS = {"newest": "Newest", "title": "Title", "downloads": "Most downloaded"}
SEARCH_SORTS = {"relevance": "Relevance", "newest": "Newest", "downloads": "Most downloaded"}
PER_PAGE = 20

#: {facet: [(value, label)]} in the order the panel lists them (years: newest first, as found).
_VALUES = {
    "county": sorted(((County.slugify(name), name) for name, _ in COUNTIES), key=lambda pair: pair[1]),
    "program": PROGRAMS, "type": DOCUMENT_TYPES, "area": TOOLKIT_AREAS, "strategy": STRATEGIES,
}
_LABELS = {name: dict(pairs) for name, pairs in _VALUES.items()}


def value_label(name, value):
    """"kern" -> "Kern", "mou" -> "MOU / agreement"; years stay as they are."""
    return _LABELS.get(name, {}).get(value, value)


def parse_filters(args):
    """{facet: value} of the filters in a query string; unknown names and values are ignored."""
    chosen = {}
    for name, _ in FACETS:
        value = (args.get(name) or "").strip().lower()
        if name == "year":
            if value.isdigit() and len(value) == 4 and 1900 <= int(value) <= 2200:
                chosen[name] = value
        elif value in _LABELS[name]:
            chosen[name] = value
    return chosen


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    heading: str
    options: list


@dataclass
class Chip:
    """One active filter, shown as "County: Kern"; `name` is the parameter that removes it."""

    name: str
    heading: str
    label: str

    def __str__(self):
        return f"{self.heading}: {self.label}"


@dataclass
class Item:
    """A resource on the page; with words, its highlighted title and a snippet of the text."""

    resource: Resource
    title: Markup | None = None
    snippet: Markup | None = None


@dataclass
class Library:
    query: str
    sort: str
    sorts: dict
    filters: dict
    items: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    facets: list = field(default_factory=list)
    suggestion: str = ""
    #: Why the words could not be searched ("That search could not be read: …"), or "".
    error: str = ""
    #: The search index could not be read: the list is not narrowed by the words.
    search_unavailable: bool = False
    #: Browsing (no words): what the page shows depends on nothing but this key (see `page_html`).
    kept_key: tuple | None = None
    #: Browsing: the ids of the page's resources, loaded into `items` only when it is rendered.
    item_ids: list = field(default_factory=list)

    def load_items(self):
        if self.item_ids and not self.items:
            self.items = [Item(resource) for resource in _load(self.item_ids)]
        return self.items

    @property
    def chips(self):
        return [Chip(name, HEADINGS[name], value_label(name, value)) for name, value in self.filters.items()]


def browse_library(user, query="", filters=None, sort="", page=1, per_page=PER_PAGE):
    """One page of the resources `user` may see, narrowed by `filters`, with the panel's counts.

    :param query: words to search for; empty to browse.
    :param sort: a key of SORTS (browsing) or SEARCH_SORTS (searching); anything else: the default.
    """
    filters = dict(filters or {})
    query = (query or "").strip()[:500]
    page = max(1, min(page or 1, 10_000))
    searched = _search(user, query, filters, sort, page, per_page) if query else None
    if searched is not None:
        return searched
    sort = sort if sort in SORTS else "newest"
    key, (ids, facets) = _browsed(access_filter(user), filters, sort)
    total = len(ids)
    library = Library(query=query, sort=sort, sorts=SORTS, filters=filters, total=total, page=page,
                      pages=max(1, math.ceil(total / per_page)), facets=facets,
                      search_unavailable=bool(query), item_ids=ids[(page - 1) * per_page: page * per_page],
                      kept_key=None if query else (key, page, per_page))
    return library


def page_html(library, signed_in, render):
    """The library page's filter panel and results as HTML: `render()` once, then, when browsing
    without words, kept per app under the browse's key (the library's version, the
    viewer's access, filters, sort, page), the page's own query string (its links keep it) and
    whether the viewer is signed in — everything the panel and the list show. Searches are not
    kept."""
    def build():
        library.load_items()
        return render()
    if library.kept_key is None:
        return build()
    key = (library.kept_key, request.script_root, tuple(sorted(request.args.items(multi=True))), signed_in)
    return remember("resources.pages", key, build, _KEPT)


#: Browsing results kept per app: (viewer's access, filters, sort) of the most recent ones.
_KEPT = 64


def _browsed(allowed, filters, sort):
    """(its key, (ids of every matching resource in order, the panel's facets)) for this access
    and filters, kept while the library's version is unchanged: an edit, deletion, upload or
    download on any process or machine raises it."""
    key = (library_version(), allowed.everything, allowed.members, allowed.cluster_ids,
           tuple(sorted(filters.items())), sort)
    return key, remember("resources.browsed", key, lambda: _browse(allowed, filters, sort), _KEPT)


_LIBRARY_VERSION = select(LibraryVersion.version).where(LibraryVersion.id == 1)


def library_version():
    """The number the database raises with every write to the library's tables (triggers; see
    `LibraryVersion`); without its row (a database made some other way), an aggregate over the
    resources that changes with each of those writes too."""
    version = db.session.scalar(_LIBRARY_VERSION)
    if version is not None:
        return version
    return tuple(db.session.execute(select(
        func.count(Resource.id), func.max(Resource.updated_at), func.max(Resource.deleted_at),
        func.coalesce(func.sum(Resource.download_count), 0))).one())


def _browse(allowed, filters, sort):
    rows = db.session.execute(
        select(Resource.id, Resource.title, Resource.created_at, Resource.download_count,
               Resource.program, Resource.doc_type, Resource.toolkit_areas, Resource.strategies,
               Resource.year, County.slug)
        .select_from(Resource).outerjoin(County, County.id == Resource.county_id)
        .where(Resource.allowed_by(allowed))).all()
    described = [(row, _facet_values(row)) for row in rows]
    matched = [(row, values) for row, values in described if _matches(values, filters)]
    matched.sort(key=_SORT_KEYS[sort])
    return [row.id for row, _ in matched], _facets([values for _, values in matched], filters)


def _facet_values(row):
    return {"county": [row.slug] if row.slug else [], "program": [row.program] if row.program else [],
            "type": [row.doc_type], "area": list(row.toolkit_areas or []),
            "strategy": list(row.strategies or []), "year": [str(row.year)] if row.year else []}


def _matches(values, filters):
    return all(value in values[name] for name, value in filters.items())


_SORT_KEYS = {
    "newest": lambda pair: (-pair[0].created_at.timestamp(), -pair[0].id),
    "title": lambda pair: (pair[0].title.casefold(), pair[0].id),
    "downloads": lambda pair: (-(pair[0].download_count or 0), -pair[0].created_at.timestamp(), -pair[0].id),
}


def _facets(described, filters):
    """The panel: every facet's values among the matched resources, with counts."""
    facets = []
    for name, heading in FACETS:
        counts = {}
        for values in described:
            for value in values[name]:
                counts[value] = counts.get(value, 0) + 1
        chosen = filters.get(name)
        if chosen and chosen not in counts:
            counts[chosen] = 0  # a filter nothing matches still shows as chosen
        if name == "year":
            ordered = [(value, value) for value in sorted(counts, reverse=True)]
        else:
            ordered = [(value, label) for value, label in _VALUES[name] if value in counts]
        facets.append(Facet(name, heading, [Option(value, label, counts[value], value == chosen)
                                            for value, label in ordered]))
    return facets


def _load(ids):
    """The resources with these ids, in this order, with what their list items show."""
    if not ids:
        return []
    found = {r.id: r for r in db.session.scalars(
        select(Resource).where(Resource.id.in_(ids)).options(selectinload(Resource.versions)))}
    return [found[i] for i in ids if i in found]


def _search(user, query, filters, sort, page, per_page):
    """The library page answered by the site search; None when the index cannot be read."""
    sort = sort if sort in SEARCH_SORTS else "relevance"
    try:
        found = site_search.search(access_filter(user), query, {"kind": "resource", **filters}, sort,
                                   page, per_page, reread=False)  # the rows are read again below
    except site_search.SearchUnavailable as problem:
        current_app.logger.error("search unavailable: %s", problem)
        site_search.request_rebuild()
        return None
    library = Library(query=query, sort=sort, sorts=SEARCH_SORTS, filters=filters, total=found.total,
                      page=found.page, pages=found.pages or 1, suggestion=found.suggestion,
                      error=found.error)
    for name, heading in FACETS:
        _, values = found.facets.get(name, (heading, []))
        known = [v for v in values if name == "year" or v.value in _LABELS[name]]
        if name == "year":
            known.sort(key=lambda v: v.value, reverse=True)
        else:
            order = {value: index for index, (value, _) in enumerate(_VALUES[name])}
            known.sort(key=lambda v: order[v.value])
        library.facets.append(Facet(name, heading, [
            Option(v.value, value_label(name, v.value), v.count, filters.get(name) == v.value)
            for v in known]))
    ids = [int(hit.url.rsplit("/", 1)[-1]) for hit in found.hits if hit.url.rsplit("/", 1)[-1].isdigit()]
    # The index may lag the database by a moment: only live resources the person may see show.
    visible = {r.id: r for r in db.session.scalars(
        select(Resource).where(Resource.id.in_(ids or [0]), Resource.allowed_by(access_filter(user)))
        .options(selectinload(Resource.versions)))}
    for hit in found.hits:
        ident = hit.url.rsplit("/", 1)[-1]
        if ident.isdigit() and int(ident) in visible:
            library.items.append(Item(visible[int(ident)], hit.title, hit.snippet))
    return library


def counts_by_area(user):
    """{toolkit area: how many resources `user` may see are tagged with it} (one query)."""
    counts = {key: 0 for key, _ in TOOLKIT_AREAS}
    for keys in db.session.scalars(select(Resource.toolkit_areas).where(Resource.allowed_by(access_filter(user)))):
        for key in set(keys or []) & counts.keys():
            counts[key] += 1
    return counts
