"""The organizers' CSV export of an event's registrants."""
from ...csvexport import csv_text
from ...timeutil import format_pacific
from ...vocabulary import PROGRAM_LABELS


def registrants_csv(event, registrations):
    """One row per registration, one column per session people choose (CSV text); programs and
    statuses in words, as people read them ("CalWORKs / Welfare-to-Work", not "calworks")."""
    sessions = [s for s in event.sessions if s.needs_choice]
    header = (["Name", "E-mail", "County", "Program", "Status", "Registered at (Pacific)",
               "Dietary needs", "Accessibility needs", "Name on participant list", "Checked in"]
              + [s.title for s in sessions])
    rows = []
    for r in registrations:
        chosen = {c.session_id for c in r.choices}
        rows.append([
            r.user.name, r.user.email, r.county.name if r.county else "",
            PROGRAM_LABELS.get(r.program, r.program), r.status_text(),
            format_pacific(r.created_at), r.dietary_needs, r.accessibility_needs,
            "yes" if r.show_name else "no", format_pacific(r.checked_in_at) if r.checked_in_at else ""]
            + ["yes" if s.id in chosen else "" for s in sessions])
    return csv_text(header, rows)
