"""How the library plugs into the rest of the site: the only module here that touches
`community.content` (its search source, the providers it offers, what it announces) and
`community.ui` (navigation, stylesheet, sections on shared pages, demo data)."""
from flask import has_request_context, render_template, request
from markupsafe import Markup
from sqlalchemy import String, and_, bindparam, cast, func, select
from sqlalchemy.orm import aliased

from .. import content, ui
from ..accounts.models import County
from ..caching import remember
from ..content import ContentCard, SearchDocument
from ..extensions import db
from ..permissions import PUBLIC, access_filter, can
from . import services
from .browse import library_version
from .models import Resource, ResourceVersion, resource_clusters

#: The kind of the library's search documents.
KIND = "resource"
SECTION_TEMPLATE = "resources/_section.html"
#: A section kept as HTML (`_kept_section`).
KEPT_SECTION_TEMPLATE = "resources/_kept_section.html"


def register(app):
    """Plug the library into navigation, shared pages, search and the other features."""
    from . import demo

    ui.add_stylesheet(app, "css/resources.css")
    ui.add_nav(app, "Library", "resources.library", order=30)
    content.register_source(app, KIND, "Library resources", search_documents)
    content.register_provider(app, "resources.new_public", new_public)
    content.register_provider(app, "cards.for_path", card_for_path)
    content.register_provider(app, "cards.for_paths", cards_for_paths)
    ui.add_section(app, "home", KEPT_SECTION_TEMPLATE, home_section, order=30)
    ui.add_section(app, "profile", KEPT_SECTION_TEMPLATE, profile_section, order=40)
    ui.add_section(app, "cluster", KEPT_SECTION_TEMPLATE, cluster_section, order=40)
    ui.add_demo_seed(app, "library resources", demo.seed_library, order=30)


def changed(ids, narrowed=False):
    """Tell search (after commit) that these resources changed; `narrowed`: they may be seen by
    fewer people or have lost text, so they leave the index until then."""
    content.announce_changed(KIND, ids, narrowed)


def removed(ids):
    content.announce_removed(KIND, ids)


# --- Search documents and cards ------------------------------------------------------------------

_BATCH = 500


_DOCUMENT_COLUMNS = (Resource.id, Resource.title, Resource.summary, Resource.visibility, Resource.created_at,
                     Resource.updated_at, Resource.doc_type, Resource.toolkit_areas, Resource.strategies,
                     Resource.program, Resource.year, Resource.tags, Resource.download_count)


def _documents_statement():
    """Live resources by id with everything their search documents hold, in one statement: the
    columns, the county's name, the cluster ids (one "1,7" value) and the newest version's text
    with what the confidentiality guard said of it."""
    earlier = aliased(ResourceVersion)
    newest = select(func.max(earlier.number)).where(earlier.resource_id == Resource.id).scalar_subquery()
    clusters = (select(func.aggregate_strings(cast(resource_clusters.c.cluster_id, String), ","))
                .where(resource_clusters.c.resource_id == Resource.id).scalar_subquery())
    return (select(*_DOCUMENT_COLUMNS, County.name.label("county_name"), clusters.label("cluster_ids"),
                   ResourceVersion.text, ResourceVersion.held_reason, ResourceVersion.guard_confirmed_at)
            .select_from(Resource).outerjoin(County, County.id == Resource.county_id)
            .outerjoin(ResourceVersion, and_(ResourceVersion.resource_id == Resource.id,
                                             ResourceVersion.number == newest))
            .where(Resource.id.in_(bindparam("ids", expanding=True)), Resource.deleted_at.is_(None))
            .order_by(Resource.id))


#: Built once: the search page reads its hits' sources again on every view.
_DOCUMENTS = _documents_statement()


def search_documents(ids=None):
    """SearchDocuments for live resources (all, or these ids); deleted ones are simply absent.

    Read as plain rows, one statement per batch of ids: the search page reads its hits again
    through here on every view."""
    if ids is None:
        all_ids = db.session.scalars(select(Resource.id).where(Resource.deleted_at.is_(None))
                                     .order_by(Resource.id)).all()
    else:
        all_ids = sorted({int(i) for i in ids if str(i).isdigit()})
    for start in range(0, len(all_ids), _BATCH):
        for row in db.session.execute(_DOCUMENTS, {"ids": all_ids[start:start + _BATCH]}):
            # A file held by the confidentiality guard is found by its title and summary, never its text.
            held = row.held_reason is not None and row.guard_confirmed_at is None
            clusters = {int(ident) for ident in row.cluster_ids.split(",")} if row.cluster_ids else ()
            yield document_of(row, "" if held else row.text, clusters, row.county_name)


def document_of(resource, text, cluster_ids, county_name):
    """The search document of a resource row (`_DOCUMENT_COLUMNS`)."""
    return SearchDocument(
        kind="resource", id=str(resource.id), title=resource.title, text=text or "",
        url=f"/library/{resource.id}", visibility=resource.visibility,
        cluster_ids=frozenset(cluster_ids), summary=resource.summary,
        created_at=resource.created_at, updated_at=resource.updated_at,
        facets={"county": county_name or "",
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
    wanted = content.paths_to(paths, "resources.show", "resource_id")
    if not wanted:
        return {}
    resources = {r.id: r for r in db.session.scalars(
        select(Resource).where(Resource.id.in_(set(wanted.values())), Resource.deleted_at.is_(None)))}
    return {path: card_of(resources[ident]) for path, ident in wanted.items()
            if ident in resources and can(viewer, "view", resources[ident])}


# --- Sections on the home, profile and cluster pages ---------------------------------------------

def _section(resources, heading, anchor, browse=False):
    if not resources:
        return None
    return {"resources": resources, "heading": heading, "anchor": anchor, "browse": browse}


def _kept_section(which, viewer, query, heading, anchor, links=False):
    """A library section as HTML, kept per app under the library's version (raised by every
    write to its tables), what the viewer may see and which section it is (`which`): a list of
    resources shows nothing that depends on the person beyond what they may see. `query()` makes
    the statement, only when the section is not kept (building it costs more than finding it)."""
    allowed = access_filter(viewer)
    key = (library_version(), which, allowed.everything, allowed.members, allowed.cluster_ids,
           request.script_root if has_request_context() else None)

    def build():
        section = _section(db.session.scalars(query()).all(), heading, anchor, browse=links)
        return render_template(SECTION_TEMPLATE, section=section) if section else ""
    html = remember("resources.sections", key, build)
    return {"html": Markup(html)} if html else None


def home_section(user):
    return _kept_section("home", user, lambda: services.visible_resources(user).limit(6), "New in the library",
                         "home-library", links=True)


def profile_section(person, viewer):
    return _kept_section(("profile", person.id), viewer,
                         lambda: services.visible_resources(viewer).where(Resource.owner_id == person.id).limit(10),
                         "Shared resources", "profile-resources")


def cluster_section(cluster, viewer):
    def query():
        in_cluster = select(resource_clusters.c.resource_id).where(resource_clusters.c.cluster_id == cluster.id)
        return services.visible_resources(viewer).where(Resource.id.in_(in_cluster)).limit(10)
    return _kept_section(("cluster", cluster.id), viewer, query, "Cluster resources", "cluster-resources")
