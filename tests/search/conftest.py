"""Search fixtures: documents from a test-only source, registered through the public seam.

The search tests are one conformance suite: each runs against every search backend the database
allows (Whoosh everywhere, PostgreSQL full-text search on PostgreSQL) through the one interface.
"""
import pytest

from community import content
from community.content import SearchDocument
from community.search import backend


class NoteSource:
    """A test-only source of "note" documents, as another feature would register."""

    def __init__(self):
        self.docs = {}

    def add(self, ident, title, text, visibility="public", clusters=(), **facets):
        self.docs[str(ident)] = SearchDocument(
            kind="note", id=str(ident), title=title, text=text, url=f"/notes/{ident}",
            visibility=visibility, cluster_ids=frozenset(clusters), summary=text[:60], facets=facets)

    def fetch(self, ids=None):
        wanted = self.docs if ids is None else [str(i) for i in ids if str(i) in self.docs]
        for ident in wanted:
            yield self.docs[ident]


@pytest.fixture(params=["whoosh", "postgres"])
def search_backend(request, backend):
    if request.param == "postgres" and backend != "postgresql":
        pytest.skip("the PostgreSQL search backend needs PostgreSQL")
    return request.param


@pytest.fixture
def app(app_factory, search_backend):
    application = app_factory(SEARCH_BACKEND=search_backend)
    with application.app_context():
        yield application


@pytest.fixture
def notes(app):
    source = NoteSource()
    content.register_source(app, "note", "Field notes", source.fetch)
    yield source
    backend.close_readers()
