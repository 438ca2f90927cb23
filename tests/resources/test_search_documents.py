"""The library's search documents, read in one statement per batch (`provides.search_documents`, which
the search page also runs to read its hits again), against the plain definition on libraries
Hypothesis makes up: the newest version's text unless the confidentiality guard holds it and nobody
confirmed it, every cluster a resource is shared with, its county, and no deleted resource."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from community.accounts.models import County
from community.clusters.models import Cluster
from community.extensions import db
from community.resources import provides
from community.resources.models import Resource, ResourceVersion, resource_clusters
from community.timeutil import utcnow

versions = st.lists(st.fixed_dictionaries({
    "text": st.sampled_from(["", "Joint case plan for mutual families", "SSN 545-12-7789 in a held file"]),
    "held": st.booleans(), "confirmed": st.booleans()}), max_size=3)
libraries = st.lists(st.fixed_dictionaries({
    "county": st.sampled_from([None, 0, 1]), "clusters": st.sets(st.integers(0, 2)), "versions": versions,
    "deleted": st.booleans()}), min_size=1, max_size=8)


def _library(owner, counties, clusters, drawn):
    now = utcnow()
    ids = []
    for n, item in enumerate(drawn):
        ident = db.session.scalar(insert(Resource).returning(Resource.id), [{
            "title": f"Resource {n}", "summary": "A county artifact", "doc_type": "policy", "visibility": "public",
            "county_id": counties[item["county"]] if item["county"] is not None else None,
            "owner_id": owner.id, "created_at": now, "updated_at": now, "toolkit_areas": [], "strategies": [],
            "tags": [], "deleted_at": now if item["deleted"] else None}])
        ids.append(ident)
        for number, version in enumerate(item["versions"], start=1):
            db.session.execute(insert(ResourceVersion), [{
                "resource_id": ident, "number": number, "original_name": "a.pdf",
                "stored_name": f"test-{ident}-{number}.pdf", "content_type": "application/pdf", "size": 1,
                "sha256": "0" * 64, "uploaded_by_id": owner.id, "uploaded_at": now, "note": "",
                "download_count": 0, "extraction_state": "searchable", "extraction_note": "",
                "text": version["text"], "held_reason": "an SSN" if version["held"] else None,
                "guard_confirmed_at": now if version["confirmed"] else None}])
        if item["clusters"]:
            db.session.execute(insert(resource_clusters), [{"resource_id": ident, "cluster_id": clusters[c]}
                                                           for c in item["clusters"]])
    db.session.commit()
    return ids


def _expected(ids, drawn, counties, clusters):
    """{id: (text, cluster ids, county name)} of the live resources, by the plain definition."""
    names = dict(db.session.execute(select(County.id, County.name)).all())
    found = {}
    for ident, item in zip(ids, drawn, strict=True):
        if item["deleted"]:
            continue
        newest = item["versions"][-1] if item["versions"] else None
        text = "" if newest is None or (newest["held"] and not newest["confirmed"]) else newest["text"]
        county = names[counties[item["county"]]] if item["county"] is not None else ""
        found[str(ident)] = (text, frozenset(clusters[c] for c in item["clusters"]), county)
    return found


def test_the_librarys_documents_are_those_of_the_plain_definition(app, make_user):
    owner = make_user(name="Maria Lopez")
    counties = db.session.scalars(select(County.id).order_by(County.id).limit(2)).all()
    clusters = []
    for n in range(3):
        cluster = Cluster(slug=f"documents-{n}", name=f"Documents {n}")
        db.session.add(cluster)
        db.session.flush()
        clusters.append(cluster.id)
    db.session.commit()

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(drawn=libraries)
    def check(drawn):
        ids = _library(owner, counties, clusters, drawn)
        try:
            expected = _expected(ids, drawn, counties, clusters)
            for documents in (provides.search_documents(ids), provides.search_documents()):
                shown = {doc.id: (doc.text, doc.cluster_ids, doc.facets["county"]) for doc in documents}
                assert shown == expected
        finally:
            db.session.rollback()
            db.session.execute(delete(resource_clusters))
            db.session.execute(delete(ResourceVersion))
            db.session.execute(delete(Resource))
            db.session.commit()

    check()
