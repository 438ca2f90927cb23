"""Filling blocks from the site's own content through `community.content` providers, as snapshots.

Cards are copied into the block when it is saved (and refreshed when the issue is claimed for
sending), so the archive never changes when events or resources change later. Every card comes
from a provider that promises public content only; highlights are checked thread by thread.
"""
from datetime import datetime, time, timedelta

from flask import current_app

from community import content
from community.errors import DomainError
from community.timeutil import format_pacific, from_pacific

from .models import Issue

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
    if block.kind == "events":
        start = from_pacific(datetime.combine(_date(block.settings["start"]), time.min))
        end = from_pacific(datetime.combine(_date(block.settings["end"]), time.min)
                           + timedelta(days=1))
        cards = content.provide("events.upcoming_public", start, end)
    elif block.kind == "resources":
        cards = content.provide("resources.new_public", Issue.previous_sent_at(issue.id))
    elif block.kind == "highlights":
        return [_thread_card(thread_id) for thread_id in block.settings.get("thread_ids", [])]
    else:
        return []
    if cards is None:
        raise BlockError(MISSING[block.kind])
    return [card_snapshot(card) for card in cards]


def _thread_card(thread_id):
    try:
        card = content.provide("forums.public_thread_card", thread_id)
    except content.NotPublic as refusal:
        raise BlockError(f"Thread {thread_id} cannot go in the newsletter: {refusal}") from None
    if card is None:
        if not _offered("forums.public_thread_card"):
            raise BlockError(MISSING["highlights"])
        raise BlockError(f"Thread {thread_id} was not found.")
    snapshot = card_snapshot(card)
    # Highlights carry only a title and a link: no excerpt of what members wrote.
    snapshot.update(summary="", meta="")
    return snapshot


def _offered(name):
    """Whether any feature registered the provider `name` (content.provide answers None for both)."""
    registry = current_app.extensions.get("community.content", {})
    return bool(registry.get("providers", {}).get(name))


def card_snapshot(card):
    """A ContentCard as plain JSON data, with the date as people read it (links made absolute
    when rendered, so they follow SITE_URL)."""
    return {
        "kind": card.kind,
        "title": card.title,
        "url": card.url,
        "summary": card.summary or "",
        "meta": card.meta or "",
        "when": format_pacific(card.when, "%a, %b %-d, %Y · %-I:%M %p") if card.when else "",
    }


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


def _date(value):
    return datetime.strptime(value, "%Y-%m-%d").date()
