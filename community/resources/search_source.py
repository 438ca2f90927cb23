"""How the library describes its resources to the site-wide search (and to other features)."""
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..content import ContentCard, SearchDocument
from ..extensions import db
from ..permissions import PUBLIC
from .models import Resource, ResourceVersion

_BATCH = 500


def _current_texts(resource_ids):
    """{resource_id: text of its newest version}."""
    newest = (select(ResourceVersion.resource_id, func.max(ResourceVersion.number).label("number"))
              .where(ResourceVersion.resource_id.in_(resource_ids))
              .group_by(ResourceVersion.resource_id).subquery())
    version = aliased(ResourceVersion)
    rows = db.session.execute(
        select(version.resource_id, version.text, version.held_reason, version.guard_confirmed_at)
        .join(newest, (version.resource_id == newest.c.resource_id) & (version.number == newest.c.number)))
    # A file held by the confidentiality guard is found by its title and summary, never its text.
    return {resource_id: "" if held is not None and confirmed is None else text
            for resource_id, text, held, confirmed in rows}


def search_documents(ids=None):
    """SearchDocuments for live resources (all, or these ids); deleted ones are simply absent."""
    query = select(Resource.id).where(Resource.deleted_at.is_(None)).order_by(Resource.id)
    if ids is not None:
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return
        query = query.where(Resource.id.in_(wanted))
    all_ids = db.session.scalars(query).all()
    for start in range(0, len(all_ids), _BATCH):
        chunk = all_ids[start:start + _BATCH]
        resources = db.session.scalars(select(Resource).where(Resource.id.in_(chunk)).order_by(Resource.id)).all()
        texts = _current_texts(chunk)
        for resource in resources:
            yield document_of(resource, texts.get(resource.id, ""))


def document_of(resource, text):
    return SearchDocument(
        kind="resource", id=str(resource.id), title=resource.title, text=text or "",
        url=f"/library/{resource.id}", visibility=resource.visibility,
        cluster_ids=frozenset(c.id for c in resource.clusters), summary=resource.summary,
        created_at=resource.created_at, updated_at=resource.updated_at,
        facets={"county": resource.county.name if resource.county else "",
                "doc_type": resource.doc_type, "toolkit_area": list(resource.toolkit_areas or []),
                "strategy": list(resource.strategies or []), "program": resource.program,
                "year": resource.year or "", "tags": list(resource.tags or [])},
        downloads=resource.download_count or 0)


def card_of(resource):
    return ContentCard(kind="resource", title=resource.title, url=f"/library/{resource.id}",
                       summary=resource.summary[:300], when=resource.created_at, meta=resource.meta_line)


def new_public(since=None):
    """Provider `resources.new_public`: public, live resources since a date, newest first."""
    query = select(Resource).where(Resource.deleted_at.is_(None), Resource.visibility == PUBLIC)
    if since is not None:
        query = query.where(Resource.created_at >= since)
    query = query.order_by(Resource.created_at.desc(), Resource.id.desc()).limit(50)
    return [card_of(r) for r in db.session.scalars(query)]


def card_for_path(path, viewer):
    """Provider `cards.for_path`: a card for /library/<id> when the viewer may see it."""
    return cards_for_paths([path], viewer).get(path)


def cards_for_paths(paths, viewer):
    """Provider `cards.for_paths`: {path: card} for the /library/<id> paths `viewer` may see
    (one query, and one for the resources' clusters)."""
    from ..permissions import can

    wanted = {}
    for path in paths:
        parts = (path or "").split("?")[0].strip("/").split("/")
        if len(parts) == 2 and parts[0] == "library" and parts[1].isdigit() and len(parts[1]) < 12:
            wanted[path] = int(parts[1])
    if not wanted:
        return {}
    resources = {r.id: r for r in db.session.scalars(
        select(Resource).where(Resource.id.in_(set(wanted.values())), Resource.deleted_at.is_(None)))}
    return {path: card_of(resources[ident]) for path, ident in wanted.items()
            if ident in resources and can(viewer, "view", resources[ident])}
