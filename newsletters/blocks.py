"""Filling blocks from the site's own content through other features' providers, as snapshots.

Cards are copied into the block when it is saved (and refreshed when the issue is claimed for
sending), so the archive keeps what was sent when events or resources change later. Every card
comes from a provider that promises public content only; highlights are checked thread by thread.
Whenever an issue is shown or sent, `public_cards` checks each card's target again: a card whose
resource, event or thread the public may no longer see is dropped, title and all.
"""
import contextlib
import re
from datetime import datetime, time, timedelta
from urllib.parse import urlparse

from flask import current_app
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from community.errors import DomainError
from community.extensions import db
from community.permissions import access_filter
from community.search import backend as search
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
    if block.kind == "events":
        return _event_snapshots(cards or [])
    return [card_snapshot(card) for card in cards or []]


def _event_snapshots(cards):
    """One snapshot per event, in the order of first occurrences: a series' dates share a line."""
    series = {}
    for card in cards:
        series.setdefault(card.url, []).append(card)
    snapshots = []
    for occurrences in series.values():
        snapshot = card_snapshot(occurrences[0])
        if len(occurrences) > 1:
            snapshot["when"] = _series_when(occurrences)
        snapshots.append(snapshot)
    return snapshots


def _series_when(cards):
    """ "Tuesdays: Jan 5, 19; Feb 2, 2027 · 10:00 AM PST": the dates by month, the time once
    when every occurrence starts at the same hour (else the dates alone)."""
    starts = [to_pacific(card.when) for card in cards]
    months = []
    for moment in starts:
        if months and months[-1][0] == (moment.year, moment.month):
            months[-1][1].append(f"{moment:%-d}")
        else:
            months.append(((moment.year, moment.month), [f"{moment:%b %-d}"]))
    parts = []
    for index, ((year, _), days) in enumerate(months):
        year_ends = index + 1 == len(months) or months[index + 1][0][0] != year
        parts.append(", ".join(days) + (f", {year}" if year_ends else ""))
    dates = "; ".join(parts)
    if len({moment.weekday() for moment in starts}) == 1:
        dates = f"{starts[0]:%A}s: {dates}"
    if len({(moment.hour, moment.minute) for moment in starts}) == 1:
        return f"{dates} · {format_pacific(cards[0].when, '%-I:%M %p')}"
    return dates


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


#: How many public threads the composer's picker offers for one search.
PICKER_LIMIT = 8
#: A thread's number at the end of its link ("/t/7/slug", "https://…/t/7") or alone ("7").
_THREAD_NUMBER = re.compile(r"(?:^|/t/)(\d{1,9})(?:/[-\w]*)?/?$")


def thread_number(text):
    """The thread number a pasted link or number names, else None."""
    match = _THREAD_NUMBER.search(urlparse((text or "").strip()).path)
    return int(match.group(1)) if match else None


def find_public_threads(text, limit=PICKER_LIMIT):
    """Threads the public may follow that match `text` as typed so far, or the one its link names.

    Searches as an anonymous visitor (the index never offers a private cluster's thread), then
    the forums vouch for each hit as they do when the block is saved. Returns
    [{"id", "title", "url", "meta"}]; raises BlockError when search is unavailable.
    """
    text = (text or "").strip()[:200]
    if not text:
        return []
    if thread_number(text) is not None:
        return _public_picks([thread_number(text)])
    try:
        results = search.search(access_filter(AnonymousUserMixin()), _as_you_type(text),
                                {"kind": "thread"}, per_page=limit)
    except search.SearchUnavailable:
        raise BlockError("Search is not available right now; paste the thread's link instead.") \
            from None
    return _public_picks([thread_number(hit.url) for hit in results.hits])


def chosen_threads(thread_ids):
    """The picks already chosen, in order, with their titles (ids no longer public are left out:
    saving then refuses them with the reason)."""
    return _public_picks(thread_ids)


def _public_picks(thread_ids):
    picks, seen = [], set()
    for thread_id in thread_ids:
        if not isinstance(thread_id, int) or not 0 < thread_id < 2**31 or thread_id in seen:
            continue
        seen.add(thread_id)
        try:
            card = provides.public_thread_card(thread_id)
        except (provides.NotPublic, provides.NoProvider):
            continue
        if card is not None:
            picks.append({"id": thread_id, "title": card.title, "url": card.url,
                          "meta": card.meta or ""})
    return picks


def _as_you_type(text):
    """The last word also as a prefix, so "reunif" finds "reunification" while it is typed."""
    words = text.split()
    last = words[-1]
    if not re.fullmatch(r"\w{2,}", last) or last.upper() in ("AND", "OR", "NOT"):
        return text
    return " ".join([*words[:-1], f"({last} OR {last}*)"])


def card_snapshot(card):
    """A ContentCard as plain JSON data, with the date as people read it (links made absolute
    when rendered, so they follow SITE_URL)."""
    return {
        "kind": card.kind,
        "title": card.title,
        "url": card.url,
        "summary": excerpt(card.summary or ""),
        "meta": card.meta or "",
        "when": _when(card),
    }


#: Characters of a card's description the newsletter shows at most.
SUMMARY_LIMIT = 200
_SENTENCE_END = re.compile(r"[.!?][”’\")]?(?=\s|$)")


def excerpt(text, limit=SUMMARY_LIMIT):
    """A description cut after its last whole sentence (or word) within `limit`, marked with an
    ellipsis; paragraphs and list items ("- " lines) stay whole lines, so lists stay lists."""
    kept, room = [], limit
    for line in (line.strip() for line in (text or "").splitlines()):
        if not line:
            continue
        if len(line) <= room:
            kept.append(line)
            room -= len(line)
            continue
        cut = _cut(line, room)
        if cut:
            kept.append(cut)
        elif kept:
            kept[-1] += " …"
        break
    return "\n".join(kept)


def _cut(line, room):
    """`line` shortened to `room` characters at a sentence end, else at a word; "" if too short."""
    if room < 40:
        return ""
    sentences = [match.end() for match in _SENTENCE_END.finditer(line, 0, room)]
    if sentences and sentences[-1] > room // 3:
        return line[:sentences[-1]] + " …"
    words = line[:room].rsplit(" ", 1)[0].rstrip(" ,;:–-")
    return words + "…"


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
            # When the feature went away, the snapshot the organizer saw is kept.
            with contextlib.suppress(BlockError):
                block.cards = collect_cards(block, issue)
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
