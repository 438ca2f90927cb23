"""Search fixtures: documents from a test-only source, registered through the public seam."""
import pytest

from community import content
from community.content import SearchDocument
from community.search import engine


class NoteSource:
    """A test-only source of "note" documents, as another feature would register."""

    def __init__(self):
        self.docs = {}

    def add(self, ident, title, text, visibility="public", clusters=(), **facets):
        self.docs[str(ident)] = SearchDocument(
            kind="note", id=str(ident), title=title, text=text, url=f"/notes/{ident}",
            visibility=visibility, cluster_ids=frozenset(clusters), summary=text[:60], facets=facets)

    def fetch(self, ids=None):
        wanted = self.docs if ids is None else [i for i in ids if i in self.docs]
        for ident in wanted:
            yield self.docs[ident]


@pytest.fixture
def notes(app):
    source = NoteSource()
    content.register_source(app, "note", "Field notes", source.fetch)
    yield source
    engine.close_readers()
