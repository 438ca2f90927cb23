"""Date arithmetic of events: a series' starts in a year, and a multi-day stretch as one span per day."""
from bisect import bisect_left
from datetime import datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr

from ..timeutil import from_pacific, to_pacific


def parse_rule(rrule, first_start):
    """The dateutil rule, anchored at the first start (naive UTC) in Pacific wall-clock time."""
    return rrulestr(rrule, dtstart=to_pacific(first_start).replace(tzinfo=None))


def describe_rule(rrule, first_start):
    """A series' rule in words ("Every month on the third Tuesday"), from its first start (naive UTC)."""
    if not rrule:
        return ""
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    local = to_pacific(first_start)
    if parts.get("FREQ") == "WEEKLY":
        label = f"Every {'two weeks' if parts.get('INTERVAL') == '2' else 'week'} on {local:%A}"
    elif "BYDAY" in parts:
        nth = parts["BYDAY"][:-2]
        ordinal = {"1": "first", "2": "second", "3": "third", "4": "fourth", "-1": "last"}.get(nth, nth)
        label = f"Every month on the {ordinal} {local:%A}"
    else:
        label = f"Every month on day {local.day}"
    if "COUNT" in parts:
        label += f", {parts['COUNT']} times"
    return label


@lru_cache(maxsize=4096)
def rule_starts(rrule, first_start, year):
    """The starts (naive UTC, in order) a series' rule gives in one Pacific calendar year.

    A pure function of the rule text and the first start (naive UTC), so the cache needs no
    invalidation: editing either gives a new key. Expanding a rule walks from its first start,
    which is what made calendar pages slow when every request expanded every series.
    """
    rule = parse_rule(rrule, first_start)
    following = datetime(year + 1, 1, 1)
    return tuple(sorted(from_pacific(local) for local in rule.between(datetime(year, 1, 1), following, inc=True)
                        if local < following))


def day_spans(start, end):
    """[(start, end)] in naive UTC: a stretch over several Pacific days as one span per day.

    A convening from Tuesday 8:30 to Wednesday 16:00 is held 8:30–16:00 on each day, not through
    the night. That reading applies when the stretch lasts 24 hours or more and its end time of day
    is later than its start time; anything else (an evening running past midnight) is one span.
    """
    begins, ends = to_pacific(start), to_pacific(end)
    if end - start < timedelta(hours=24) or ends.time() <= begins.time():
        return [(start, end)]
    first, opens, closes = begins.date(), begins.time(), ends.time()
    return [(from_pacific(datetime.combine(first + timedelta(days=n), opens)),
             from_pacific(datetime.combine(first + timedelta(days=n), closes)))
            for n in range((ends.date() - first).days + 1)]


def series_occurrences(rrule, first_start, duration, exceptions, start, end):
    """[(start, end, original_start)] in naive UTC of a series overlapping [start, end), its
    `exceptions` (skipped or moved occurrences) applied.

    Recurrences repeat at the same Pacific wall-clock time, so their UTC instant moves with DST.
    The rule's dates come from `rule_starts`, cached per process by the rule and first start.
    """
    changes = {change.original_start: change for change in exceptions}
    found = []
    for year in range(to_pacific(start - duration).year, to_pacific(end).year + 1):
        starts = rule_starts(rrule, first_start, year)
        for original in starts[bisect_left(starts, start - duration):]:
            if original >= end:
                break
            change = changes.get(original)
            if change is None:
                begins, ends = original, original + duration
            elif change.is_skipped:
                continue
            else:
                begins, ends = change.new_start, change.new_end
            if begins < end and ends > start:
                found.append((begins, ends, original))
    for change in changes.values():  # a moved occurrence may land inside the window from outside
        if (not change.is_skipped and change.new_start < end and change.new_end > start
                and all(o != change.original_start for _, _, o in found)):
            found.append((change.new_start, change.new_end, change.original_start))
    return sorted(found)


def day_range(start, end):
    """The Pacific days from `start` to `end` in short: "Feb 23–24", "Feb 28 – Mar 2", "Dec 31 – Jan 2"."""
    begins, ends = to_pacific(start), to_pacific(end)
    if (begins.year, begins.month) == (ends.year, ends.month):
        return f"{begins:%b %-d}–{ends:%-d}"
    return f"{begins:%b %-d} – {ends:%b %-d}"
