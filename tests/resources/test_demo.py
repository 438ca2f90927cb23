"""The demo library looks like a real one: varied counties, types, years and formats, its own words."""
from collections import Counter

import pytest
from sqlalchemy import select

from community import jobs
from community.cli import seed_demo
from community.extensions import db
from community.permissions import access_filter
from community.resources.models import Resource, ResourceVersion, ToolkitArea, ToolkitEntry
from community.search import backend as site_search


@pytest.fixture
def demo(app_factory):
    application = app_factory(EXTRACTION_ISOLATED=False)
    with application.app_context():
        seed_demo(application)
        db.session.commit()
        jobs.run_ready()
        yield application


def test_the_demo_library_is_varied_and_every_resource_has_its_own_words(demo):
    resources = db.session.scalars(select(Resource)).all()
    assert len(resources) >= 30
    assert len({r.title for r in resources}) == len(resources)
    assert len({r.summary for r in resources}) == len(resources)
    assert len({r.county_id for r in resources if r.county_id}) >= 18
    assert len({r.doc_type for r in resources}) == 12
    assert len({r.year for r in resources}) >= 12
    assert {r.file_kind[0] for r in resources} >= {"pdf", "word", "excel", "slides", "text", "video"}
    assert Counter(r.visibility for r in resources)["clusters"] >= 3
    # Every generated file is read for search, and none looks like client data to the guard.
    versions = db.session.scalars(select(ResourceVersion)).all()
    assert versions and all(v.extraction_state == "searchable" for v in versions)
    assert [v.resource.title for v in versions if v.held_reason] == []
    # Search snippets differ from one resource to the next.
    found = site_search.search(access_filter(None), "CalWORKs", {"kind": "resource"}, per_page=10)
    snippets = [str(hit.snippet) for hit in found.hits]
    assert len(snippets) == 10 and len(set(snippets)) == 10


def test_every_toolkit_area_is_curated_with_distinct_resources_and_an_introduction(demo):
    for area in db.session.scalars(select(ToolkitArea)):
        titles = [entry.resource.title for entry in area.entries]
        assert area.introduction and len(titles) >= 4 and len(set(titles)) == len(titles)
        assert len({entry.resource.doc_type for entry in area.entries}) >= 3, area.key
    assert db.session.scalar(select(db.func.count()).select_from(ToolkitEntry)) >= 30
    assert {area.curator.name if area.curator else None for area in db.session.scalars(select(ToolkitArea))} == {
        "Renee Okafor", "Dana Whitfield", None}
