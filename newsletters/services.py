"""Newsletter operations: subscriptions, CSV import, composing issues, scheduling and test sends.

Functions check the permission policy, change objects and flush; the request, CLI command or job
commits. Sending itself lives in `delivery`.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select, update

from community import audit, guard, mail
from community.accounts.models import County
from community.csvexport import csv_text
from community.errors import DomainError
from community.extensions import db
from community.inputs import MIN_YEAR, has_controls
from community.permissions import NotAllowed, can
from community.timeutil import utcnow

from . import blocks as block_content
from . import tokens
from .models import Block, Delivery, Issue, Subscriber, topic_labels, topic_mask
from .rendering import build_issue_message, markdown_to_html, render_issue


class InvalidAddress(DomainError):
    """The e-mail address cannot receive mail."""


def clean_address(email):
    """A normalized, syntactically valid address (no DNS lookups); raises InvalidAddress."""
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None


# Subscriptions ---------------------------------------------------------------------------------

def subscribe(email, name="", county_id=None, topics=None):
    """Start a double opt-in: the person gets a confirmation link (or a reminder of their link).

    The answer never tells the visitor whether the address was already on the list.
    """
    email = clean_address(email)
    subscriber = db.session.scalar(Subscriber.by_email(email))
    if subscriber is None:
        subscriber = Subscriber(email=email, name=name.strip(), county_id=county_id or None,
                                status="pending", source="form")
        db.session.add(subscriber)
        db.session.flush()
    if subscriber.status in ("pending", "unsubscribed"):
        if subscriber.status == "unsubscribed":
            subscriber.status = "pending"  # coming back needs a fresh confirmation
            subscriber.source = "form"
        subscriber.name = name.strip() or subscriber.name
        subscriber.county_id = county_id or subscriber.county_id
        if topics is not None:
            subscriber.choose_topics(topics)
        url = mail.external_url("newsletters.confirm", token=tokens.confirmation_token(subscriber))
        mail.send(mail.render_message("newsletter_confirm", subscriber.email,
                                      "Confirm your Linkages newsletter subscription",
                                      subscriber=subscriber, url=url,
                                      days=current_app.config["NEWSLETTER_CONFIRM_DAYS"]))
    else:
        mail.send(mail.render_message("newsletter_already", subscriber.email,
                                      "You are already on the Linkages newsletter list",
                                      subscriber=subscriber, url=preferences_url(subscriber)))
    return subscriber


def confirm_subscription(subscriber):
    """The confirmation link was followed: consent is recorded now."""
    if subscriber.status in ("pending", "unsubscribed"):
        subscriber.confirm(source="form")
    return subscriber


def update_preferences(subscriber, name, county_id, paused, topics=None):
    subscriber.name = (name or "").strip()
    subscriber.county_id = county_id or None
    if topics is not None:
        subscriber.choose_topics(topics)
    if paused and subscriber.status == "confirmed":
        subscriber.pause()
    elif not paused and subscriber.status == "paused":
        subscriber.resume()
    return subscriber


def unsubscribe(subscriber):
    """Unsubscribe at once, including from any issue that is still being sent to this person."""
    subscriber.unsubscribe()
    db.session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber.id,
               Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", error="Unsubscribed before delivery.")
        .execution_options(synchronize_session=False))
    return subscriber


def member_subscription(user):
    return db.session.scalar(select(Subscriber).where(
        (Subscriber.user_id == user.id) | (Subscriber.email == Subscriber.normalize(user.email))))


def subscribe_member(user):
    """A signed-in member subscribes with their account: no confirmation round trip."""
    subscriber = member_subscription(user)
    if subscriber is None:
        subscriber = Subscriber(email=Subscriber.normalize(user.email), name=user.name,
                                county_id=user.county_id)
        db.session.add(subscriber)
    subscriber.user_id = user.id
    subscriber.confirm(source="member")
    db.session.flush()
    return subscriber


def unsubscribe_member(user):
    subscriber = member_subscription(user)
    if subscriber is not None:
        unsubscribe(subscriber)
    return subscriber


def preferences_url(subscriber):
    return mail.external_url("newsletters.preferences", token=tokens.subscriber_token(subscriber))


def unsubscribe_url(subscriber):
    return mail.external_url("newsletters.unsubscribe", token=tokens.subscriber_token(subscriber))


# CSV import and export -------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "name", "county", "consent_date")
NAME_LENGTH = 120  # Subscriber.name
EXPORT_COLUMNS = ("email", "name", "county", "status", "source", "consent_at", "unsubscribed_at",
                  "created_at")


@dataclass
class ImportReport:
    added: int = 0
    #: (line, address) already on the list, left as they are (their own choices stand).
    already: list = field(default_factory=list)
    #: (line, message) problems; with any of them nothing is imported.
    errors: list = field(default_factory=list)


class ImportRejected(DomainError):
    def __init__(self, report):
        super().__init__(f"{len(report.errors)} rows have problems")
        self.report = report


def import_subscribers(actor, data):
    """Import confirmed subscribers from CSV (email, name, county, consent_date), all or nothing.

    Every row is checked first; invalid addresses, missing or unreadable consent dates, unknown
    counties and addresses repeated in the file are reported with their line numbers and nothing
    is imported. Addresses already on the list are left untouched (an unsubscribe stands).
    """
    _require_organizer(actor)
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        report.errors.append((0, "The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))
        raise ImportRejected(report) from None
    try:
        return _import_rows(actor, csv.DictReader(io.StringIO(text, newline="")), report)
    except csv.Error as error:  # a field past the csv module's limit, a stray line break
        report.errors.append((0, f"The file could not be read as CSV ({error}). Save it again as "
                                 "CSV UTF-8 and import it once more."))
        raise ImportRejected(report) from None


def _import_rows(actor, reader, report):
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("email", "consent_date") if c not in headers]
    if missing:
        report.errors.append((1, f"The header row needs the columns {', '.join(IMPORT_COLUMNS)}; "
                                 f"missing: {', '.join(missing)}."))
        raise ImportRejected(report)
    counties = {c.name.lower(): c.id for c in db.session.scalars(select(County))}
    existing = set(db.session.scalars(select(Subscriber.email)))
    seen, rows = {}, []
    for line, raw in enumerate(reader, start=2):
        if any(has_controls(value) for value in _cells(raw)):
            report.errors.append((line, "This row contains invisible control characters (such "
                                        "as NUL); remove them and import the file again."))
            continue
        row = {(k or "").strip().lower(): v.strip() for k, v in raw.items()
               if isinstance(v, str)}  # a row longer than the header has a list under None
        try:
            email = clean_address(row.get("email"))
        except InvalidAddress:
            report.errors.append((line, f"“{row.get('email', '')}” is not a valid e-mail address."))
            continue
        if email in seen:
            report.errors.append((line, f"{email} is already on line {seen[email]} of the file."))
            continue
        seen[email] = line
        consent = _parse_date(row.get("consent_date", ""))
        if consent is None or not MIN_YEAR <= consent.year <= utcnow().year:
            report.errors.append((line, f"The consent date for {email} is missing or not a date "
                                        "(use YYYY-MM-DD)."))
            continue
        if len(row.get("name", "")) > NAME_LENGTH:
            report.errors.append((line, f"The name for {email} is longer than {NAME_LENGTH} "
                                        "characters."))
            continue
        county_name = row.get("county", "").lower().removesuffix(" county").strip()
        if county_name and county_name not in counties:
            report.errors.append((line, f"“{row['county']}” is not a California county."))
            continue
        if email in existing:
            report.already.append((line, email))
            continue
        rows.append((email, row.get("name", ""), counties.get(county_name), consent))
    if report.errors:
        raise ImportRejected(report)
    for email, name, county_id, consent in rows:
        subscriber = Subscriber(email=email, name=name, county_id=county_id)
        subscriber.confirm(source="import", when=consent)
        db.session.add(subscriber)
    report.added = len(rows)
    audit.record(actor, "newsletter.import", "newsletter_subscribers",
                 summary=f"Imported {report.added} subscribers")
    db.session.flush()
    return report


def _cells(raw):
    for key, value in raw.items():
        yield from ([key] if isinstance(key, str) else [])
        yield from (value if isinstance(value, list) else [value or ""])


def _parse_date(value):
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def export_subscribers_csv(actor):
    """The whole list as CSV text (streams in chunks of rows)."""
    _require_organizer(actor)
    subscribers = db.session.scalars(select(Subscriber).order_by(Subscriber.id)).yield_per(500)
    return csv_text(EXPORT_COLUMNS, (
        [s.email, s.name, s.county.name if s.county else "", s.status, s.source,
         _iso(s.consent_at), _iso(s.unsubscribed_at), _iso(s.created_at)] for s in subscribers))


def _iso(value):
    return value.isoformat(sep=" ", timespec="seconds") if value else ""


# Composing -------------------------------------------------------------------------------------

def create_issue(actor, subject, preheader="", introduction="", confirmed=False, topics=()):
    _require_organizer(actor)
    guard.screen({"subject": subject, "preheader": preheader, "introduction": introduction}, confirmed)
    issue = Issue(subject=(subject or "").strip(), preheader=(preheader or "").strip(),
                  introduction=(introduction or "").strip(), created_by_id=actor.id,
                  topics=topic_mask(topics))
    db.session.add(issue)
    db.session.flush()
    return issue


def update_issue(actor, issue, subject, preheader, introduction, confirmed=False, topics=None):
    """Change the issue's text, and its topics (who receives it) unless `topics` is None."""
    _require_organizer(actor)
    issue.require_editable()
    guard.screen({"subject": subject, "preheader": preheader, "introduction": introduction}, confirmed)
    issue.subject, issue.preheader = (subject or "").strip(), (preheader or "").strip()
    issue.introduction = (introduction or "").strip()
    if topics is not None:
        issue.topics = topic_mask(topics)
    return issue


def save_block(actor, issue, kind, heading="", body="", settings=None, block=None, confirmed=False):
    """Add or change a block, taking its content snapshot now; raises BlockError with the reason."""
    _require_organizer(actor)
    issue.require_editable()
    if kind not in Block.KINDS:
        raise ValueError(f"unknown block kind {kind!r}")
    guard.screen({"heading": heading, "body": body,
                  "button_text": (settings or {}).get("button_text", "")}, confirmed)
    candidate = block or Block(kind=kind, position=len(issue.blocks))
    candidate.heading = heading.strip() or Block.KINDS[kind]
    candidate.body = body.strip()
    candidate.body_html = markdown_to_html(candidate.body)
    candidate.settings = dict(settings or {})
    cards = block_content.collect_cards(candidate, issue)  # raises before anything is attached
    candidate.cards = cards
    if block is None:
        issue.blocks.append(candidate)
    db.session.flush()
    return candidate


@dataclass
class ThreadPicker:
    """What the highlights picker shows: the threads chosen so far and those a search found."""

    chosen: list
    found: list
    query: str = ""
    #: Why the search could not run, for the organizer.
    problem: str = ""


def pick_threads(actor, chosen_ids, text=""):
    """The chosen public threads with their titles, and the public threads matching `text`."""
    _require_organizer(actor)
    chosen = block_content.chosen_threads(chosen_ids)
    try:
        found = block_content.find_public_threads(text)
    except block_content.BlockError as problem:
        return ThreadPicker(chosen, [], text, str(problem))
    taken = {pick["id"] for pick in chosen}
    return ThreadPicker(chosen, [pick for pick in found if pick["id"] not in taken], text)


def move_block(actor, block, offset):
    _require_organizer(actor)
    block.issue.move_block(block, offset)


def remove_block(actor, block):
    _require_organizer(actor)
    issue = block.issue
    issue.require_editable()
    issue.blocks.remove(block)
    for position, item in enumerate(issue.blocks):
        item.position = position
    db.session.flush()


def schedule_issue(actor, issue, when):
    _require_organizer(actor)
    if when <= utcnow():
        raise DomainError("Choose a time in the future, or use Send now.", "send_at")
    issue.schedule(when)
    audit.record(actor, "newsletter.schedule", "newsletter_issue", issue.id, issue.subject)


def unschedule_issue(actor, issue):
    _require_organizer(actor)
    issue.unschedule()
    audit.record(actor, "newsletter.unschedule", "newsletter_issue", issue.id, issue.subject)


def recipients_label(issue):
    """Who the issue goes to, for the organizer: "3 confirmed subscribers", or for an issue with
    topics "2 subscribers who chose Webinars or Convenings"."""
    count = Subscriber.count_receiving(issue.topics)
    if not issue.topics:
        return "1 confirmed subscriber" if count == 1 else f"{count} confirmed subscribers"
    chose = " or ".join(topic_labels(issue.topics))
    return f"{count} subscriber{'' if count == 1 else 's'} who chose {chose}"


def send_issue_now(actor, issue):
    """Claim the issue for sending now; the delivery job starts after the commit."""
    from . import delivery

    _require_organizer(actor)
    db.session.flush()
    if not delivery.claim_issue(issue.id, force=True):  # the conditional UPDATE decides
        raise DomainError("This issue is already being sent, or was sent.")
    audit.record(actor, "newsletter.send", "newsletter_issue", issue.id, issue.subject)


def send_test(actor, issue):
    """Send the issue, exactly as subscribers will get it, to the organizer alone."""
    _require_organizer(actor)
    rendered = render_issue(issue)
    subscribe = mail.external_url("newsletters.subscribe")  # a test copy has no subscriber links
    msg = build_issue_message(rendered, actor.email, actor.name, subscribe, subscribe, None,
                              subject_prefix="[Test] ", test_copy=True)
    mail.send(msg)


def _require_organizer(actor):
    if not can(actor, "organize"):
        raise NotAllowed("Only organizers manage the newsletter.")
