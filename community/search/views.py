"""The search page."""
from urllib.parse import urlencode

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from ..caching import whole_page
from ..extensions import db
from ..permissions import access_filter
from . import backend, bp


class Links:
    """Links to this search with some of its words changed, as `url_for` writes them (the page
    dropped unless given; a word given as None dropped): a page of results has sixty, and
    `url_for` costs 20–40 µs each. The search's own words are quoted once per page, not per link."""

    #: The characters `url_for` leaves unquoted in a query string (Werkzeug's, from the URL standard).
    SAFE = "!$'()*,/:;?@"

    def __init__(self, base, args):
        self.base, self.args = base, dict(args)  # the first value of each, as dict(request.args)
        self.quoted = {key: self._quote(key, value) for key, value in self.args.items()}

    def __call__(self, page=None, **changes):
        changes = {"page": page, **changes}
        parts = []
        for key in {**self.quoted, **changes}:  # the order of dict(self.args, page=page, **changes)
            if key not in changes:
                parts.append(self.quoted[key])
            elif changes[key] is not None:
                parts.append(self._quote(key, changes[key]))
        return f"{self.base}?{'&'.join(parts)}" if parts else self.base

    @classmethod
    def _quote(cls, key, value):
        return urlencode([(key, value)], safe=cls.SAFE)


@bp.get("/search")
@whole_page(when=backend.in_database)
def results():
    query = request.args.get("q", "")
    filters = {name: request.args.get(name, "") for name in backend.FACET_FIELDS}
    sort = request.args.get("sort", "relevance")
    sort = sort if sort in backend.SORTS else "relevance"
    page = request.args.get("page", 1, type=int) or 1
    try:
        found = backend.search(access_filter(current_user), query, filters, sort, page,
                               current_app.config["SEARCH_PER_PAGE"])
    except backend.SearchUnavailable as problem:
        current_app.logger.error("search unavailable: %s", problem)
        backend.request_rebuild()
        db.session.commit()  # dispatches the queued rebuild
        return render_template("search/results.html", found=None, query=query, filters={},
                               sort=sort, sorts=backend.SORTS, unavailable=True), 503
    return render_template("search/results.html", found=found, query=query, sort=sort,
                           filters={k: v for k, v in filters.items() if v}, sorts=backend.SORTS,
                           unavailable=False, link=Links(url_for("search.results"), request.args))
