"""Filling blocks from the site's own content through other features' providers, as snapshots.

Cards are copied into the block when it is saved (and refreshed when the issue is claimed for
sending), so the archive keeps what was sent when events or resources change later. Every card
comes from a provider that promises public content only; highlights are checked thread by thread.
Whenever an issue is shown or sent, `public_cards` checks each card's target again: a card whose
resource, event or thread the public may no longer see is dropped, title and all.
"""
from datetime import datetime, time, timedelta
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import select

from community.errors import DomainError
from community.extensions import db
from community.timeutil import format_pacific, from_pacific, to_pacific

from . import provides
from .models import Block, Issue

#: What the organizer reads when a feature the block needs is not installed.
MISSING = {
    "events": "The calendar is not available, so upcoming events cannot be added yet.",
    "resources": "The resource library is not available, so new resources cannot be added yet.",
    "highlights": "The forums are not available, so cluster highlights cannot be added yet.",
}


class BlockError(DomainError):
    """The block cannot be filled as asked; the message is for the organizer."""


def collect_cards(block, issue):
    """Fetch the block's cards from the providers; raises BlockError with the reason."""
    if block.kind == "highlights":
        return [_thread_card(thread_id) for thread_id in block.settings.get("thread_ids", [])]
    if block.kind not in ("events", "resources"):
        return []
    try:
        if block.kind == "events":
            start = from_pacific(datetime.combine(_date(block.settings["start"]), time.min))
            end = from_pacific(datetime.combine(_date(block.settings["end"]), time.min)
                               + timedelta(days=1))
            cards = provides.upcoming_events(start, end)
        else:
            cards = provides.new_resources(Issue.previous_sent_at(issue.id))
    except provides.NoProvider:
        raise BlockError(MISSING[block.kind]) from None
    return [card_snapshot(card) for card in cards or []]


def _thread_card(thread_id):
    try:
        card = provides.public_thread_card(thread_id)
    except provides.NoProvider:
        raise BlockError(MISSING["highlights"]) from None
    except provides.NotPublic as refusal:
        raise BlockError(f"Thread {thread_id} cannot go in the newsletter: {refusal}") from None
    if card is None:
        raise BlockError(f"Thread {thread_id} was not found.")
    snapshot = card_snapshot(card)
    # Highlights carry only a title and a link: no excerpt of what members wrote.
    snapshot.update(summary="", meta="")
    return snapshot


def card_snapshot(card):
    """A ContentCard as plain JSON data, with the date as people read it (links made absolute
    when rendered, so they follow SITE_URL)."""
    return {
        "kind": card.kind,
        "title": card.title,
        "url": card.url,
        "summary": card.summary or "",
        "meta": card.meta or "",
        "when": _when(card),
    }


def _when(card):
    """ "Tue, Feb 23, 2027 · 8:30 AM PST", or for several days "Feb 23–24, 2027 · 8:30 AM–4:00 PM PST"."""
    if not card.when:
        return ""
    begins, ends = to_pacific(card.when), to_pacific(card.ends) if card.ends else None
    if ends is None or ends.date() == begins.date():
        return format_pacific(card.when, "%a, %b %-d, %Y · %-I:%M %p")
    if begins.year != ends.year:
        dates = f"{begins:%b %-d, %Y} – {ends:%b %-d, %Y}"
    elif begins.month != ends.month:
        dates = f"{begins:%b %-d} – {ends:%b %-d, %Y}"
    else:
        dates = f"{begins:%b %-d}–{ends:%-d, %Y}"
    return f"{dates} · {begins:%-I:%M %p}–{ends:%-I:%M %p} {ends.tzname()}"


def refresh_cards(issue):
    """Take fresh snapshots before sending; a highlight no longer public is dropped, never sent."""
    for block in issue.blocks:
        if block.kind in ("events", "resources"):
            try:
                block.cards = collect_cards(block, issue)
            except BlockError:
                pass  # the feature went away: keep the snapshot the organizer saw
        elif block.kind == "highlights":
            kept = []
            for thread_id in block.settings.get("thread_ids", []):
                try:
                    kept.append(_thread_card(thread_id))
                except BlockError:
                    continue
            block.cards = kept


def on_content_purged(kind, ids):
    """A redacted thread's title leaves every highlight snapshot, sent issues included: the
    archive is public and searchable. The card is taken afresh, or dropped when the thread is no
    longer public. (Receiver of `content.content_purged`; its job commits.)"""
    if kind != "thread":
        return
    paths = {thread_id: f"/t/{thread_id}" for thread_id in ids}
    reindex = set()
    for block in db.session.scalars(select(Block).where(Block.kind == "highlights")):
        cards, changed = [], False
        for card in block.cards or []:
            url = card.get("url", "")
            purged = [t for t, path in paths.items() if url == path or url.startswith(path + "/")]
            if not purged:
                cards.append(card)
                continue
            changed = True
            try:
                cards.append(_thread_card(purged[0]))
            except BlockError:
                continue
        if changed:
            block.cards = cards
            reindex.add(block.issue_id)
    if reindex:
        provides.issues_changed(sorted(reindex))


def public_cards(blocks):
    """For each block, its cards whose target the public may see now (one lookup per feature for
    the whole issue); a card pointing anywhere the providers do not vouch for is dropped."""
    paths = {card["url"]: _site_path(card["url"]) for block in blocks for card in block.cards or []}
    wanted = sorted({path for path in paths.values() if path})
    visible = provides.public_paths(wanted) if wanted else set()
    return [[card for card in block.cards or [] if paths[card["url"]] in visible] for block in blocks]


def _site_path(url):
    """The path of a card's link when it points to this site (cards hold paths or SITE_URL links)."""
    parts = urlparse(url or "")
    if parts.netloc and parts.netloc != urlparse(current_app.config.get("SITE_URL") or "").netloc:
        return None
    return parts.path if parts.path.startswith("/") else None


def _date(value):
    return datetime.strptime(value, "%Y-%m-%d").date()
