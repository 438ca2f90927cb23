"""Library operations: share, edit, version, delete and download resources; curate the toolkit.

Services check the permission policy, change objects, flush and queue jobs; the caller commits.
"""
from dataclasses import dataclass, field

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, guard, jobs, mail, ordering
from ..accounts.models import User
from ..clusters.models import Cluster
from ..errors import DomainError
from ..extensions import db
from ..permissions import CLUSTERS, NotAllowed, access_filter, can, cluster_roles
from ..timeutil import utcnow
from ..vocabulary import TOOLKIT_AREAS
from . import extraction, files, provides
from .models import Resource, ResourceVersion, ToolkitArea, ToolkitEntry


@dataclass
class ResourceDetails:
    """What a person describes about a resource (from the form, the seed or a test)."""

    title: str
    doc_type: str
    summary: str = ""
    county_id: int | None = None
    program: str = "linkages"
    toolkit_areas: list = field(default_factory=list)
    strategies: list = field(default_factory=list)
    cluster_ids: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    year: int | None = None
    visibility: str = "members"
    link_url: str | None = None


def parse_tags(text):
    """"MOU, release of information; ROI" -> ["mou", "release of information", "roi"]."""
    seen = []
    for raw in (text or "").replace(";", ",").split(","):
        tag = " ".join(raw.split()).lower()[:40]
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:15]


def cluster_choices(user):
    """Clusters a person may restrict a resource to: their own (organizers: all)."""
    query = Cluster.active()
    if not user.is_organizer:
        query = query.where(Cluster.id.in_(list(cluster_roles(user)) or [0]))
    return db.session.scalars(query).all()


def _apply(resource, user, details):
    allowed = {c.id: c for c in cluster_choices(user)}
    chosen = [allowed[i] for i in details.cluster_ids if i in allowed]
    if details.visibility == CLUSTERS and not chosen:
        raise DomainError("Choose at least one of your clusters for a cluster-only resource.",
                          "cluster_ids")
    resource.title = details.title.strip()
    resource.summary = (details.summary or "").strip()
    resource.county_id = details.county_id
    resource.program = details.program
    resource.doc_type = details.doc_type
    resource.toolkit_areas = list(dict.fromkeys(details.toolkit_areas))
    resource.strategies = list(dict.fromkeys(details.strategies))
    resource.tags = list(details.tags)
    resource.year = details.year
    resource.set_visibility(details.visibility, chosen)
    resource.updated_at = utcnow()


def _screen(details, confirmed, note="", stored=None):
    """The confidentiality guard on everything a person describes about a resource, and on the
    name of its file (shown on the page and in the download)."""
    guard.screen({"title": details.title, "summary": details.summary, "tags": list(details.tags),
                  "version_note": note, "file": stored.original_name if stored is not None else ""},
                 confirmed)


def share_resource(user, details, stored=None, note="", confirmed=False):
    """Create a resource from an uploaded file (a StoredFile) or a link."""
    if not can(user, "view_members"):
        raise NotAllowed("Sign in to share a resource.")
    if (stored is None) == (not details.link_url):
        raise ValueError("a resource is either a file or a link")
    _screen(details, confirmed, note, stored)
    resource = Resource(owner_id=user.id, link_url=details.link_url or None)
    _apply(resource, user, details)
    db.session.add(resource)
    if stored is not None:
        _add_version(resource, user, stored, note or "First version")
    db.session.flush()
    audit.record(user, "resource.share", "resource", resource.id, resource.title)
    provides.changed([resource.id])
    return resource


def update_resource(resource, user, details, confirmed=False):
    if not can(user, "edit", resource):
        raise NotAllowed("You cannot edit this resource.")
    _screen(details, confirmed)
    details.link_url = details.link_url if resource.is_link else None
    resource.link_url = details.link_url or resource.link_url
    _apply(resource, user, details)
    db.session.flush()
    provides.changed([resource.id], narrowed=True)
    return resource


def add_version(resource, user, stored, note="", confirmed=False):
    """Upload a new file for a resource; earlier versions stay listed and downloadable."""
    if not can(user, "edit", resource) or resource.is_link:
        raise NotAllowed("You cannot upload a new version of this resource.")
    guard.screen({"version_note": note, "file": stored.original_name}, confirmed)
    # New versions of one resource are numbered one at a time (a double click on Upload).
    db.session.execute(select(Resource.id).where(Resource.id == resource.id).with_for_update())
    db.session.expire(resource, ["versions"])
    version = _add_version(resource, user, stored, note)
    resource.updated_at = utcnow()
    db.session.flush()
    audit.record(user, "resource.new_version", "resource", resource.id, f"version {version.number}")
    provides.changed([resource.id], narrowed=True)
    return version


def _add_version(resource, user, stored, note):
    number = 1 + max((v.number for v in resource.versions), default=0)
    version = ResourceVersion(
        number=number, original_name=stored.original_name, stored_name=stored.stored_name,
        content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
        uploaded_by_id=user.id, note=(note or "").strip()[:500], extraction_state="pending",
        uploaded_at=utcnow())
    resource.versions.insert(0, version)
    db.session.flush()
    # At most ten files a job: each may take EXTRACTION_SECONDS, well inside a job's lease.
    jobs.enqueue_merged(extract_versions_text, ids=[version.id], most=10)
    return version


def delete_resource(resource, user):
    """Soft-delete: hidden everywhere, taken out of the toolkit and the search index."""
    if not can(user, "delete", resource):
        raise NotAllowed("You cannot delete this resource.")
    resource.mark_deleted(user)
    for entry in db.session.scalars(select(ToolkitEntry).where(ToolkitEntry.resource_id == resource.id)):
        db.session.delete(entry)
    db.session.flush()
    audit.record(user, "resource.delete", "resource", resource.id, resource.title)
    provides.removed([resource.id])


def record_download(resource, version=None):
    """Count a download (or a click through to a link) and keep the index's count in step."""
    resource.count_download(version)
    db.session.flush()
    provides.changed([resource.id])


def extract_versions_text(ids):
    """Job: read the text of these uploaded versions (idempotent) and reindex their resources.

    Versions uploaded in one transaction (an import, the demo) are read by one job, each file in
    its own isolated process, and their resources are indexed together."""
    for version_id in ids:
        extract_version_text(version_id)


def extract_version_text(version_id):
    """Read the text of one uploaded version (idempotent) and reindex its resource (also a job:
    versions queued before jobs were merged name it)."""
    version = db.session.get(ResourceVersion, version_id)
    if version is None:
        return
    kept = files.store()
    config = current_app.config
    limits = extraction.Limits(pages=config["EXTRACTION_MAX_PAGES"],
                               chars=config["EXTRACTION_MAX_CHARS"],
                               seconds=config["EXTRACTION_SECONDS"],
                               memory_mb=config["EXTRACTION_MEMORY_MB"])
    if not kept.exists(version.stored_name):
        result = extraction.Extraction("no_text", note="The stored file is missing.")
    else:
        # Parsers want a path: the local file, or a temporary copy of the database's chunks.
        with kept.local_copy(version.stored_name) as path:
            if config["EXTRACTION_ISOLATED"]:
                result = extraction.extract_isolated(path, version.content_type, limits)
            else:
                result = extraction.extract(path, version.content_type, limits)
    version.extraction_state = result.state
    version.text = result.text.replace("\x00", "")
    version.extraction_note = result.note[:300]
    version.page_count = result.pages
    _hold_if_client_data(version, result)
    db.session.flush()
    provides.changed([version.resource_id], narrowed=True)


def held_findings(version):
    """What the confidentiality guard finds in a version's extracted text."""
    return guard.check(version.text or "")


def _hold_if_client_data(version, result):
    """Hold a file whose text (the kept part and the rest, read for this check only) looks like
    client data, or whose text could not all be read (the guard could not look at it), and tell
    its uploader (without the data)."""
    findings, labels = guard.check_file(version.text, result.rest, result.complete)
    if not labels:
        version.held_reason = None
        return
    already = version.held_reason is not None
    version.held_reason = "; ".join(labels)[:300]
    if version.guard_confirmed_at is not None and not guard.is_blocking(findings):
        return
    version.guard_confirmed_at = None
    if not already:
        uploader = version.uploaded_by
        mail.send(mail.render_message(
            "resource_held", uploader, "Your upload is held: it may contain client information",
            user=uploader, resource=version.resource, version=version, labels=labels,
            blocking=guard.is_blocking(findings),
            url=mail.external_url("resources.show", resource_id=version.resource_id)))


def confirm_not_client_data(version, user):
    """The uploader (or an editor) confirms a held file holds no client data; it is released."""
    resource = version.resource
    if not can(user, "edit", resource):
        raise NotAllowed("Only the people who can edit this resource release its file.")
    if guard.is_blocking(held_findings(version)) or guard.held_for_good(version.held_reason):
        raise DomainError("A file with a Social Security number cannot be released; upload a new "
                         "version without it, or delete the resource.")
    version.guard_confirmed_at = utcnow()
    audit.record(user, "resource.guard_confirm", "resource", resource.id,
                 f"confirmed version {version.number} holds no client data")
    db.session.flush()
    provides.changed([resource.id])
    return version


# -- lookups -----------------------------------------------------------------------------------

def get_resource_or_404(resource_id, action="view", user=None):
    """The live resource if the person may see it (404 otherwise) and do `action` (403)."""
    user = user if user is not None else current_user
    resource = db.session.get(Resource, resource_id)
    if resource is None or resource.is_deleted or not can(user, "view", resource):
        abort(404)
    if action != "view" and not can(user, action, resource):
        abort(403)
    return resource


def visible_resources(user):
    return Resource.visible_to(access_filter(user))


def related_resources(resource, user, limit=4):
    """Other resources the person may see, sharing the type or a toolkit area, newest first."""
    candidates = db.session.scalars(
        visible_resources(user).where(Resource.id != resource.id).limit(200)).all()
    areas, strategies = set(resource.toolkit_areas or []), set(resource.strategies or [])

    def score(other):
        return (len(areas & set(other.toolkit_areas or [])) * 2
                + len(strategies & set(other.strategies or []))
                + (2 if other.doc_type == resource.doc_type else 0))

    ranked = sorted((r for r in candidates if score(r) > 0), key=score, reverse=True)
    return ranked[:limit]


# -- the Linkages Toolkit ----------------------------------------------------------------------

def ensure_toolkit_areas():
    """The seven toolkit areas exist (introductions start empty)."""
    have = set(db.session.scalars(select(ToolkitArea.key)))
    for key, _ in TOOLKIT_AREAS:
        if key not in have:
            db.session.add(ToolkitArea(key=key, introduction=""))
    db.session.flush()


def toolkit(user, only=None):
    """[(area, [entries whose resource the person may see, in order])] for the seven areas
    (or for the one area `only`)."""
    keys = [key for key, _ in TOOLKIT_AREAS if only in (None, key)]
    areas = {a.key: a for a in db.session.scalars(select(ToolkitArea).where(ToolkitArea.key.in_(keys)))}
    allowed = access_filter(user)
    entries = db.session.execute(
        select(ToolkitEntry).join(ToolkitEntry.resource)
        .where(Resource.deleted_at.is_(None), ToolkitEntry.area_key.in_(keys))
        .options(selectinload(ToolkitEntry.resource).selectinload(Resource.versions))
        .order_by(ToolkitEntry.area_key, ToolkitEntry.position)
    ).scalars().all()
    by_area = {key: [] for key in keys}
    for entry in entries:
        if allowed.allows(entry.resource.access_scope()):
            by_area[entry.area_key].append(entry)
    # Areas nobody has curated yet show with an empty introduction (nothing is written on a read).
    return [(areas.get(key) or ToolkitArea(key=key, introduction=""), by_area[key]) for key in keys]


def curator_choices():
    """The people who may curate a toolkit area: active organizers and admins, by name."""
    return db.session.scalars(select(User).where(User.role.in_(("organizer", "admin")),
                                                 User.status == "active").order_by(User.name)).all()


def toolkit_candidates(user, area_entries, limit=500):
    """Resources an organizer may add to an area: the newest the person sees, not yet placed."""
    placed = {entry.resource_id for entry in area_entries}
    newest = db.session.scalars(visible_resources(user).where(Resource.id.not_in(placed or {0})).limit(limit))
    return sorted(newest, key=lambda resource: resource.title.lower())


def _require_organizer(user):
    if not can(user, "organize"):
        raise NotAllowed("Only organizers curate the toolkit.")


def describe_area(area_key, user, introduction, curator_id=None, confirmed=False):
    """Set an area's "start here" introduction and the organizer who curates it (None: CFPIC staff)."""
    _require_organizer(user)
    guard.screen({"introduction": introduction}, confirmed)
    curator = db.session.get(User, curator_id) if curator_id else None
    if curator_id and (curator is None or not (curator.is_organizer and curator.is_active)):
        raise DomainError("Choose an organizer to curate the area.", "curator_id")
    ensure_toolkit_areas()
    area = db.session.get(ToolkitArea, area_key)
    if area is None:
        raise ValueError(f"unknown toolkit area {area_key!r}")
    area.introduction = (introduction or "").strip()
    area.curator = curator
    area.updated_at = utcnow()
    db.session.flush()
    audit.record(user, "toolkit.introduction", "toolkit_area", None, area.label)
    return area


def add_to_toolkit(area_key, resource, user):
    """Place a resource at the end of an area (once); public resources suit the toolkit best."""
    _require_organizer(user)
    ensure_toolkit_areas()
    area = db.session.get(ToolkitArea, area_key)
    if area is None or resource.is_deleted:
        raise ValueError("unknown area or deleted resource")
    existing = next((e for e in area.entries if e.resource_id == resource.id), None)
    if existing is not None:
        return existing
    entry = ToolkitEntry(resource=resource, position=1 + max((e.position for e in area.entries), default=0))
    area.entries.append(entry)
    if area_key not in (resource.toolkit_areas or []):
        resource.toolkit_areas = [*(resource.toolkit_areas or []), area_key]
        provides.changed([resource.id])
    db.session.flush()
    audit.record(user, "toolkit.add", "resource", resource.id, f"{area.label}: {resource.title}")
    return entry


def remove_from_toolkit(entry, user):
    _require_organizer(user)
    area = entry.area
    area.entries.remove(entry)
    for position, other in enumerate(area.entries, start=1):
        other.position = position
    db.session.flush()
    audit.record(user, "toolkit.remove", "resource", entry.resource_id, area.label)


def move_toolkit_entry(entry, user, offset):
    """Move an entry up (-1) or down (+1) within its area."""
    _require_organizer(user)
    ordering.move(entry.area.entries, entry, offset)
    db.session.flush()

