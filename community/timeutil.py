"""Time helpers: the database stores naive UTC; people see Pacific time."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


def utcnow():
    """Now, as the naive UTC datetime the database stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_pacific(value):
    """A stored naive-UTC datetime as an aware Pacific datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(PACIFIC)


def from_pacific(value):
    """A naive datetime a person entered in Pacific time, as naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=PACIFIC)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def format_pacific(value, pattern="%b %-d, %Y %-I:%M %p"):
    """Format a stored datetime in Pacific time with the zone's abbreviation (PST/PDT)."""
    local = to_pacific(value)
    if local is None:
        return ""
    return f"{local.strftime(pattern)} {local.tzname()}"
