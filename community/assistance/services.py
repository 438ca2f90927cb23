"""Technical-assistance operations: ask, triage, schedule, note, attach, resolve; the dashboard.

Every change the county should know about e-mails the requester once (in a job, after commit).
Free text passes the confidentiality guard, as everywhere members write for others.
"""
import hashlib
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from .. import audit, content, guard, jobs, mail
from ..accounts.models import User
from ..errors import DomainError
from ..extensions import db
from ..permissions import NotAllowed, can
from ..resources import extraction, files
from ..timeutil import utcnow
from .models import (
    AREA_LABELS,
    FORMAT_LABELS,
    STATUS_LABELS,
    STRATEGY_LABELS,
    URGENCY_LABELS,
    AssistanceAttachment,
    AssistanceLink,
    AssistanceNote,
    AssistanceRequest,
)


class AssistanceError(DomainError):
    """A rule of technical assistance was broken; the message is for the person."""


@dataclass
class Ask:
    """What a county member fills in."""

    topic: str
    details: str = ""
    toolkit_area: str = ""
    strategy: str = ""
    urgency: str = "normal"
    preferred_format: str = "call"


#: A request with the same topic and details from the same person this soon is the same one sent twice.
RESENT_WITHIN = timedelta(minutes=10)


def ask_for_help(user, ask: Ask, confirmed=False, upload=None):
    """A county member asks CFPIC for help, with a file if they like; organizers are told."""
    if not can(user, "view_members") or user.county_id is None:
        raise NotAllowed("Only county staff ask for technical assistance.")
    if not (ask.topic or "").strip():
        raise AssistanceError("Say in a few words what you need help with.", "topic")
    if ask.urgency not in URGENCY_LABELS or ask.preferred_format not in FORMAT_LABELS:
        raise AssistanceError("Choose from the options shown.", "urgency")
    if ask.toolkit_area and ask.toolkit_area not in AREA_LABELS:
        raise AssistanceError("Choose one of the toolkit areas.", "toolkit_area")
    if ask.strategy and ask.strategy not in STRATEGY_LABELS:
        raise AssistanceError("Choose one of the Linkages strategies.", "strategy")
    guard.screen({"topic": ask.topic, "details": ask.details}, confirmed)
    topic, details = ask.topic.strip()[:200], (ask.details or "").strip()
    area, strategy = ask.toolkit_area or "", ask.strategy or ""  # the form sends None for "none"
    # The same request sent again at once (a double click) is the one already made: the asker's
    # row is locked first, so two of them at the same moment see each other. Every choice must
    # match; a file sent with it is added to that request unless it already has the same file.
    db.session.refresh(user, with_for_update={"of": User})
    earlier = db.session.scalar(select(AssistanceRequest).where(
        AssistanceRequest.requester_id == user.id, AssistanceRequest.topic == topic,
        AssistanceRequest.details == details,
        AssistanceRequest.toolkit_area == area, AssistanceRequest.strategy == strategy,
        AssistanceRequest.urgency == ask.urgency, AssistanceRequest.preferred_format == ask.preferred_format,
        AssistanceRequest.created_at >= utcnow() - RESENT_WITHIN).limit(1))
    if earlier is not None:
        if upload is not None and _digest(upload) not in {a.sha256 for a in earlier.attachments}:
            attach_file(earlier, user, upload)
        return earlier
    request = AssistanceRequest(county_id=user.county_id, requester_id=user.id, topic=topic,
                                details=details, toolkit_area=area,
                                strategy=strategy, urgency=ask.urgency, preferred_format=ask.preferred_format)
    db.session.add(request)
    db.session.flush()
    audit.record(user, "assistance.ask", "assistance_request", request.id)
    if upload is not None:
        attach_file(request, user, upload)
    jobs.enqueue(tell_organizers, request.id)
    content.announce_changed("assistance", [request.id])
    return request


def _digest(upload):
    """SHA-256 of an uploaded file, read from the start and left there for storing."""
    upload.stream.seek(0)
    digest = hashlib.file_digest(upload.stream, "sha256").hexdigest()
    upload.stream.seek(0)
    return digest


def _require_triage(user, request):
    if not can(user, "triage", request):
        raise NotAllowed("Only CFPIC organizers triage requests.")


def _refuse_client_data(text, field, message):
    """Refuse, on `field`, a short text that looks like client data (`message` names what)."""
    found = guard.check(text or "")
    if found:
        raise AssistanceError(message.format(found[0].label), field)


def _responded(request, now):
    if request.first_response_at is None:
        request.first_response_at = now


#: A triage field the person did not change: it keeps what the request has when it is saved.
UNCHANGED = object()


def triage(request, actor, *, status=UNCHANGED, assignee_id=UNCHANGED, scheduled_at=UNCHANGED,
           meeting_link=UNCHANGED):
    """Assign, set the status, schedule a call or visit; the requester hears once about what changed.

    The request's row is read afresh under a lock: two organizers saving at once are applied one
    after the other (each change, one e-mail, one SEQUENCE each); a field left out (`UNCHANGED`)
    keeps what the request has then.
    """
    _require_triage(actor, request)
    db.session.refresh(request, with_for_update={"of": AssistanceRequest})
    status = request.status if status is UNCHANGED else status
    assignee_id = request.assignee_id if assignee_id is UNCHANGED else assignee_id
    scheduled_at = request.scheduled_at if scheduled_at is UNCHANGED else scheduled_at
    meeting_link = request.meeting_link if meeting_link is UNCHANGED else meeting_link
    if status not in STATUS_LABELS:
        raise AssistanceError("Choose a status.", "status")
    if assignee_id:
        assignee = db.session.get(User, assignee_id)
        if assignee is None or not can(assignee, "organize"):
            raise AssistanceError("Assign the request to a CFPIC staff member.", "assignee_id")
    # It goes on the page, in the e-mail and in the calendar invitation.
    _refuse_client_data(meeting_link, "meeting_link", "The join link or place looks like client data ({}): "
                        "write only where the call or visit takes place.")
    if status == "scheduled" and scheduled_at is None:
        raise AssistanceError("Enter when the call or visit takes place.", "scheduled_at")
    if scheduled_at is not None and scheduled_at < utcnow() - timedelta(days=1) and scheduled_at != request.scheduled_at:
        raise AssistanceError("The date is in the past.", "scheduled_at")
    now = utcnow()
    changes = []
    if (assignee_id or None) != request.assignee_id:
        request.assignee_id = assignee_id or None
        changes.append("assignee")
    if status != request.status:
        request.status = status
        request.resolved_at = now if status == "resolved" else None
        changes.append("status")
    was_at = request.scheduled_at
    if scheduled_at != request.scheduled_at or (meeting_link or "") != request.meeting_link:
        request.scheduled_at, request.meeting_link = scheduled_at, (meeting_link or "").strip()[:500]
        request.sequence += 1
        changes.append("schedule")
    if not changes:
        return request
    _responded(request, now)
    request.updated_at = now
    db.session.flush()
    audit.record(actor, "assistance.triage", "assistance_request", request.id, ", ".join(changes))
    jobs.enqueue(tell_requester, request.id, changes,
                 was_at=was_at.isoformat() if "schedule" in changes and was_at is not None else None)
    content.announce_changed("assistance", [request.id])
    return request


def add_note(request, actor, body, shared=False, confirmed=False):
    """A note from CFPIC (internal or shared with the county) or from the county (always shared)."""
    if not can(actor, "view", request):
        raise NotAllowed("You cannot write on this request.")
    if not (body or "").strip():
        raise AssistanceError("Write the note.", "body")
    guard.screen({"body": body}, confirmed)
    from_cfpic = can(actor, "triage", request)
    note = AssistanceNote(request=request, author_id=actor.id, body=body.strip(), shared=shared or not from_cfpic)
    db.session.add(note)
    now = utcnow()
    request.updated_at = now
    if from_cfpic and note.shared:
        _responded(request, now)
    db.session.flush()
    if note.shared and from_cfpic:
        jobs.enqueue(tell_requester, request.id, ["note"], note.id)
    elif note.shared:
        jobs.enqueue(tell_organizers, request.id, note.id)
    if note.shared:  # search reads shared notes (never internal ones)
        content.announce_changed("assistance", [request.id])
    return note


def attach_resource(request, actor, address):
    """Attach a library resource by its address; the card is re-checked for each viewer when shown."""
    _require_triage(actor, request)
    path = urlsplit((address or "").strip()).path.rstrip("/")
    if not path.startswith("/library/") or not content.provide_all("cards.for_path", path, actor):
        raise AssistanceError("Paste the address of a resource in the library (…/library/12).", "address")
    if any(link.path == path for link in request.links):
        return None
    link = AssistanceLink(request=request, path=path, added_by_id=actor.id)
    db.session.add(link)
    _responded(request, utcnow())
    db.session.flush()
    jobs.enqueue(tell_requester, request.id, ["resource"])
    return link


def attach_file(request, user, upload):
    """A participant attaches a file. The library's upload guards check and keep it (type read
    from the bytes, size, zip bombs; FILE_STORE); a job reads its text for the confidentiality
    guard, which holds the file if the text looks like client data."""
    if not can(user, "view", request):
        raise NotAllowed("You cannot add files to this request.")
    # The name is listed to the county's colleagues, even while the file is held.
    _refuse_client_data(getattr(upload, "filename", ""), "file", "The file's name looks like client data "
                        "({}). Rename the file and attach it again.")
    kept = files.store_upload(upload)
    attachment = AssistanceAttachment(
        request=request, stored_name=kept.stored_name, original_name=kept.original_name,
        content_type=kept.content_type, size=kept.size, sha256=kept.sha256, uploaded_by_id=user.id)
    db.session.add(attachment)
    request.updated_at = utcnow()
    db.session.flush()
    audit.record(user, "assistance.attach_file", "assistance_request", request.id)
    jobs.enqueue(extract_attachment_text, attachment.id)
    return attachment


def extract_attachment_text(attachment_id):
    """Job: read an attachment's text (idempotent), hold it if the guard finds client data, reindex."""
    attachment = db.session.get(AssistanceAttachment, attachment_id)
    if attachment is None:
        return
    result = _extract(attachment)
    attachment.extraction_state = result.state
    attachment.text = result.text.replace("\x00", "")
    findings, labels = guard.check_file(attachment.text, result.rest, result.complete)
    already = attachment.held_reason is not None
    attachment.held_reason = "; ".join(labels)[:300] or None
    if guard.is_blocking(findings):
        attachment.guard_confirmed_at = None
    uploader = attachment.uploaded_by
    if attachment.is_held and not already and uploader is not None and uploader.is_active:
        # The uploader hears what kind of thing was found, never the text itself.
        mail.send(mail.render_message(
            "assistance_file_held", (uploader.name, uploader.email),
            "Your file is held: it may contain client information", user=uploader,
            request=attachment.request, attachment=attachment, labels=labels,
            blocking=guard.is_blocking(findings),
            link=mail.external_url("assistance.show", request_id=attachment.request_id)))
    db.session.flush()
    content.announce_changed("assistance", [attachment.request_id])


def _extract(attachment):
    kept, config = files.store(), current_app.config
    if not kept.exists(attachment.stored_name):
        return extraction.Extraction("no_text", note="The stored file is missing.")
    limits = extraction.Limits(pages=config.get("EXTRACTION_MAX_PAGES", 300),
                               chars=config.get("EXTRACTION_MAX_CHARS", 400_000),
                               seconds=config.get("EXTRACTION_SECONDS", 20),
                               memory_mb=config.get("EXTRACTION_MEMORY_MB", 512))
    read = extraction.extract_isolated if config.get("EXTRACTION_ISOLATED", True) else extraction.extract
    with kept.local_copy(attachment.stored_name) as path:  # parsers want a path
        return read(path, attachment.content_type, limits)


def may_open(attachment, user):
    """Participants open a request's files; a held file, or one not checked yet, only its uploader
    and CFPIC."""
    request = attachment.request
    if not can(user, "view", request):
        return False
    return not attachment.is_withheld or user.id == attachment.uploaded_by_id or can(user, "triage", request)


def release_attachment(attachment, user):
    """The uploader (or CFPIC) confirms a held file holds no client data; never with an SSN."""
    if not may_open(attachment, user) or not (user.id == attachment.uploaded_by_id
                                              or can(user, "triage", attachment.request)):
        raise NotAllowed("Only the person who attached the file, or CFPIC, releases it.")
    if guard.is_blocking(guard.check(attachment.text or "")) or guard.held_for_good(attachment.held_reason):
        raise AssistanceError("A file with a Social Security number cannot be released; attach one without it.")
    attachment.guard_confirmed_at = utcnow()
    audit.record(user, "assistance.release_file", "assistance_request", attachment.request_id)
    db.session.flush()
    content.announce_changed("assistance", [attachment.request_id])
    return attachment


def cards_for(request, viewer):
    """[(link, card)] of attached resources this viewer may see."""
    shown = []
    for link in request.links:
        card = next(iter(content.provide_all("cards.for_path", link.path, viewer)), None)
        if card is not None:
            shown.append((link, card))
    return shown


def notes_for(request, viewer):
    return [n for n in request.notes if n.shared or can(viewer, "triage", request)]


def visible_requests(user):
    """The requests this person may see: CFPIC sees all, county staff their county's."""
    query = select(AssistanceRequest).order_by(AssistanceRequest.created_at.desc())
    if not can(user, "organize"):
        query = query.where(AssistanceRequest.county_id == (user.county_id or 0))
    return query


def staff_choices():
    people = db.session.scalars(select(User).where(User.role.in_(("admin", "organizer")), User.status == "active")
                                .order_by(User.name)).all()
    return [(0, "Nobody yet")] + [(p.id, p.name) for p in people]


# ---------------------------------------------------------------- mail (jobs)

def tell_requester(request_id, changes, note_id=None, was_at=None):
    """Job: one e-mail to the requester about what changed (`was_at`: the call's time before the
    change, ISO 8601, which a cancellation names)."""
    request = db.session.get(AssistanceRequest, request_id)
    if request is None or request.requester is None or not request.requester.is_active:
        return False
    if not can(request.requester, "view", request):  # moved to another county since
        return False
    note = db.session.get(AssistanceNote, note_id) if note_id else None
    link = mail.external_url("assistance.show", request_id=request.id)
    attachments, alternatives = _invitation(request, link, was_at) if "schedule" in changes else ((), ())
    message = mail.render_message("assistance_update", (request.requester.name, request.requester.email),
                                  f"Your request to CFPIC: {request.topic}", request=request, changes=changes,
                                  note=note, link=link, attachments=attachments, alternatives=alternatives)
    mail.send(message)
    return True


def _invitation(request, link, was_at=None):
    """The calendar invitation (or cancellation) for a scheduled call, as Outlook and Google expect it:
    one UID per request, SEQUENCE raised on every change, an hour long. A cancellation names the
    call it cancels (RFC 5546 §3.2.5): the time it had (`was_at`)."""
    host = urlsplit(link).hostname or "linkages.local"
    start = request.scheduled_at
    shown = start or (datetime.fromisoformat(was_at) if was_at else utcnow())
    try:
        ics = content.provide("calendar.meeting_invitation", f"assistance-{request.id}@{host}",
                              request.sequence, f"CFPIC technical assistance: {request.topic}",
                              shown, shown + timedelta(hours=1),
                              request.meeting_link or "Online",
                              f"{request.format_label} with CFPIC.\n\nDetails: {link}",
                              request.requester, cancelled=start is None)
    except content.NoProvider:  # no calendar installed: the e-mail goes without an invitation
        return (), ()
    if ics is None:
        return (), ()
    method = {"method": "CANCEL" if start is None else "REQUEST", "charset": "utf-8"}
    return [("invite.ics", ics, "text/calendar", method)], [(ics.decode(), "text/calendar", method)]


def tell_organizers(request_id, note_id=None):
    """Job: tell the assignee (or every organizer) about a new request or a county's note."""
    request = db.session.get(AssistanceRequest, request_id)
    if request is None:
        return 0
    assignee = request.assignee
    if assignee is not None and not (assignee.is_active and can(assignee, "triage", request)):
        assignee = None  # deactivated or no longer CFPIC staff: the note goes to those who are
    people = [assignee] if assignee is not None else db.session.scalars(
        select(User).where(User.role == "organizer", User.status == "active")).all()
    note = db.session.get(AssistanceNote, note_id) if note_id else None
    link = mail.external_url("assistance.show", request_id=request.id)
    subject = (f"{request.county}: new note on “{request.topic}”" if note
               else f"New technical-assistance request from {request.county}")
    for person in people:
        mail.send(mail.render_message("assistance_new", (person.name, person.email), subject, request=request,
                                      note=note, link=link, person=person))
    return len(people)


# ---------------------------------------------------------------- dashboard

@dataclass
class Dashboard:
    open_by_county: list
    open_by_area: list
    open_by_age: list
    days_to_first_response: float | None
    days_to_resolution: float | None
    asked_by_area: list
    total: int
    open_count: int


def _days(deltas):
    values = [d.total_seconds() / 86400 for d in deltas if d is not None]
    return statistics.median(values) if values else None


def dashboard(now=None):
    now = now or utcnow()
    requests = db.session.scalars(select(AssistanceRequest)).all()
    open_requests = [r for r in requests if r.is_open]
    ages = Counter()
    for request in open_requests:
        age = (now - request.created_at).days
        ages["under a week" if age < 7 else "1–4 weeks" if age < 28 else "over 4 weeks"] += 1
    return Dashboard(
        open_by_county=Counter(str(r.county) for r in open_requests).most_common(),
        open_by_area=Counter(r.area_label or "No area" for r in open_requests).most_common(),
        open_by_age=[(label, ages.get(label, 0)) for label in ("under a week", "1–4 weeks", "over 4 weeks")],
        days_to_first_response=_days([r.first_response_at - r.created_at for r in requests if r.first_response_at]),
        days_to_resolution=_days([r.resolved_at - r.created_at for r in requests if r.resolved_at]),
        asked_by_area=Counter(r.area_label for r in requests if r.toolkit_area).most_common(),
        total=len(requests), open_count=len(open_requests))


def count_open():
    return db.session.scalar(select(func.count(AssistanceRequest.id)).where(AssistanceRequest.status != "resolved"))
