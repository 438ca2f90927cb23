"""What events offer the rest of the site, and the only events file that touches `content` and `ui`:
navigation, home and cluster sections, providers, search documents and change announcements."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import content, ui
from ..content import ContentCard, SearchDocument
from ..extensions import db
from ..mail import external_url
from ..markup import plain_lines, plain_text
from ..permissions import can
from ..timeutil import format_pacific, utcnow
from . import calendar, demo, services
from .models import PUBLISHED, Event

HOME_LIMIT = 5


def register(app):
    ui.add_stylesheet(app, "css/convenings.css")
    ui.add_nav(app, "Events", "convenings.upcoming", order=30)
    ui.add_section(app, "home", "convenings/_home_section.html", home_section, order=20)
    ui.add_section(app, "cluster", "convenings/_cluster_section.html", cluster_section, order=40)
    content.register_provider(app, "events.upcoming_public", upcoming_public_cards)
    content.register_provider(app, "cards.for_path", card_for_path)
    content.register_provider(app, "cards.for_paths", cards_for_paths)
    content.register_provider(app, "calendar.meeting_invitation", calendar.meeting_invitation)
    content.register_source(app, "event", "Events", search_documents)
    ui.add_demo_seed(app, "events", demo.seed_events, order=40)


def announce_changed(event):
    """Tell search (once the transaction commits) that a published event changed."""
    content.announce_changed("event", [event.id], narrowed=True)  # visibility and text may narrow


def announce_removed(event):
    content.announce_removed("event", [event.id])


def home_section(user):
    now = utcnow()
    occurrences = services.occurrences_for(user, now, now + timedelta(days=90), limit=HOME_LIMIT)
    if not occurrences:
        return None
    return {"occurrences": occurrences,
            "mine": services.registration_marks(user, {o.event.id for o in occurrences})}


def cluster_section(cluster, viewer):
    now = utcnow()
    occurrences = services.occurrences_for(viewer, now, now + timedelta(days=120),
                                           cluster_id=cluster.id, limit=4)
    if not occurrences:
        return None
    return {"occurrences": occurrences, "cluster": cluster}


def _card(event, when, url, ends=None, summary=None):
    return ContentCard(kind="event", title=event.title, url=url, when=when, ends=ends,
                       summary=plain_text(event.summary)[:240] if summary is None else summary,
                       meta=f"{event.kind_label} · {event.place_label}")


def upcoming_public_cards(start, end):
    """Public, published occurrences in [start, end) as cards; never a join link."""
    events = db.session.scalars(Event.in_window(Event.public_published(), start, end)
                                .options(selectinload(Event.exceptions))).all()
    cards = []
    for event in events:
        url = external_url("convenings.event_page", event_id=event.id)
        summary = plain_lines(event.summary)  # lists kept; the newsletter shortens it
        cards += [_card(event, begins, url, ends, summary)
                  for begins, ends, _ in event.occurrences(start, end)]
    return sorted(cards, key=lambda card: card.when)


def card_for_path(path, viewer):
    return cards_for_paths([path], viewer).get(path)


def cards_for_paths(paths, viewer):
    """Provider `cards.for_paths`: {path: card} for the /events/<id> paths `viewer` may see (one query)."""
    wanted = content.paths_to(paths, "convenings.event_page", "event_id")
    if not wanted:
        return {}
    events = {e.id: e for e in db.session.scalars(
        select(Event).where(Event.id.in_(set(wanted.values()))).options(selectinload(Event.exceptions)))}
    found = {}
    for path, ident in wanted.items():
        event = events.get(ident)
        if event is None or not can(viewer, "view", event):
            continue
        upcoming = event.next_occurrence()
        when = upcoming[0] if upcoming else event.start_at
        card = _card(event, when, path)
        card.meta += f" · {format_pacific(when)}"
        found[path] = card
    return found


def search_documents(ids=None):
    """Published events for site search: title, summary, venue and agenda (never the join link)."""
    query = select(Event).where(Event.status == PUBLISHED).options(selectinload(Event.sessions))
    if ids is not None:
        query = query.where(Event.id.in_([int(i) for i in ids]))
    for event in db.session.scalars(query):
        agenda = " ".join(f"{s.title} {s.speakers} {s.description}" for s in event.sessions)
        yield SearchDocument(
            kind="event", id=str(event.id), title=event.title,
            text=" ".join([event.title, plain_text(event.summary), event.venue, agenda]),
            url=f"/events/{event.id}", visibility=event.visibility,
            cluster_ids=event.access_scope().cluster_ids, summary=plain_text(event.summary)[:240],
            created_at=event.created_at, updated_at=event.updated_at,
            facets={"event_kind": event.kind, "year": event.start_at.year})
