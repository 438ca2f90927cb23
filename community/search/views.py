"""The search page."""
from flask import current_app, render_template, request
from flask_login import current_user

from ..caching import whole_page
from ..extensions import db
from ..permissions import access_filter
from . import backend, bp


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
                           unavailable=False)
