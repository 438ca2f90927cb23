"""The search page's links (facets, chips, tabs, pager) are what `url_for` would write, for any query
string a person or a crawler sends."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from community.search import backend
from community.search.views import Links

_NAMES = ["q", "page", "sort", "county", "type", "area", "kind", "year", "x y", "é", "a&b"]
_VALUES = st.text(min_size=0, max_size=12)
_ARGS = st.lists(st.tuples(st.sampled_from(_NAMES), _VALUES), max_size=6)
_CHANGES = st.dictionaries(st.sampled_from(["q", "county", "type", "kind", "year", "area", "sort"]),
                           st.one_of(st.none(), _VALUES, st.integers(1, 99)), max_size=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=_ARGS, changes=_CHANGES, page=st.one_of(st.none(), st.integers(-2, 500)))
def test_links_are_what_url_for_writes(app, args, changes, page):
    query = MultiDict(args)
    with app.test_request_context("/search"):
        from flask import url_for

        expected = url_for("search.results", **dict(query, page=page, **changes))
        assert Links(url_for("search.results"), query)(page=page, **changes) == expected


def test_the_page_s_links_change_one_thing_and_start_again_from_page_one(app, notes, client):
    for ident in range(1, 14):
        notes.add(ident, f"Stanislaus linkages protocol {ident}", "Linkages staff meet weekly.",
                  county="Stanislaus", doc_type="protocol" if ident % 2 else "mou")
    backend.rebuild()
    page = client.get("/search?q=linkages&page=2&county=stanislaus").get_data(as_text=True)
    assert 'class="filter-chip" href="/search?q=linkages"' in page  # the chip drops its filter and the page
    assert 'href="/search?q=linkages&amp;county=stanislaus&amp;type=mou"' in page  # a facet: page 1
    assert 'href="/search?q=linkages&amp;page=1&amp;county=stanislaus" rel="prev"' in page  # the pager keeps its place
