"""The confidentiality guard: catch text that looks like client information before others read it.

All the rules live here, and every place a member writes for others uses them the same way:

- `check(text)` returns the findings in one piece of text;
- `screen({field: text, ...}, confirmed)` checks every field of a form and raises `GuardStopped`
  when something must be edited first: a Social Security number always, anything else until the
  author confirms it is not client data (`GuardedForm` adds that checkbox, `_guard.html` shows the
  message).

Text is normalised before matching (Unicode NFKC, dash look-alikes, HTML entities, Markdown escapes
and emphasis, zero-width characters), so `545&#8211;12&#8211;7789` or `**545**-12-7789` is still an
SSN; findings point back at the author's original text. The rules are measured against a labelled
corpus (tests/guard_corpus.py); precision and recall per kind print with the test run.
"""
import functools
from dataclasses import dataclass, replace

from wtforms import BooleanField

from .normalise import normalise
from .rules import RULES

KINDS = ("ssn", "case_number", "date_of_birth", "child_age", "phone", "address")

LABELS = {
    "ssn": "a Social Security number",
    "case_number": "a case, client or referral number",
    "date_of_birth": "a date of birth",
    "child_age": "a child's name with an age",
    "phone": "a phone number",
    "address": "a home address",
}


@dataclass(frozen=True)
class Finding:
    """One piece of text that looks like client information."""

    #: One of KINDS.
    kind: str
    #: What the author is told ("a Social Security number").
    label: str
    #: The author's own text that matched (as typed, before normalisation).
    text: str
    start: int
    end: int
    #: True when it cannot be published even with confirmation.
    blocking: bool = False
    #: The form field it was found in (set by `screen`), or None.
    field: str | None = None


class GuardStopped(Exception):
    """Text looks like client information; `findings` say what, `blocking` if it must go."""

    def __init__(self, findings):
        self.findings = list(findings)
        self.blocking = is_blocking(self.findings)
        super().__init__("This looks like it contains client information.")


def _overlaps(span, spans):
    return any(span[0] < end and start < span[1] for start, end in spans)


def check(text):
    """Every finding in `text`, in order, without overlapping duplicates (SSNs win)."""
    text = text or ""
    normal, starts, ends = normalise(text)
    findings, taken = [], []
    for rule in RULES:
        for kind, (start, end) in rule(normal):
            while end > start and normal[end - 1] in " ,.;:":
                end -= 1
            if end <= start or _overlaps((start, end), taken):
                continue
            taken.append((start, end))
            original = (starts[start], ends[end - 1])
            findings.append(Finding(kind, LABELS[kind], text[original[0]:original[1]], *original,
                                    blocking=kind == "ssn"))
    return sorted(findings, key=lambda f: f.start)


def is_blocking(findings):
    return any(f.blocking for f in findings)


def kinds(text):
    """The set of kinds found in `text` (for measuring the rules)."""
    return {finding.kind for finding in check(text)}


#: Why a file is held when the guard found nothing but could not read all of its text (protected,
#: damaged, scanned images, or past the reading limits): a person confirms it instead.
UNREAD = "text that could not all be read, so the check could not look at every part of it"


def check_file(text, rest="", complete=True):
    """(findings, reasons to hold) for a file's text: what is kept, the `rest` read for this check
    only, and whether everything could be read (`UNREAD` otherwise). No reasons: not held."""
    findings = check(text) + check(rest)
    return findings, list(dict.fromkeys(f.label for f in findings)) + ([] if complete else [UNREAD])


def held_for_good(held_reason):
    """Whether a file held for these reasons can never be released: a Social Security number was
    found, perhaps in text read for the check only (past what is kept, so `check` of the kept
    text would not find it again)."""
    return LABELS["ssn"] in (held_reason or "")


def screen(fields, confirmed=False):
    """Check every field of a form ({name: text}); raise GuardStopped unless it may be saved.

    A Social Security number always stops; anything else stops until the author confirms it is
    not client data. Returns the findings that were confirmed (empty when the text is clean).
    """
    findings = []
    for name, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for text in values:
            findings.extend(replace(f, field=name) for f in check(text or ""))
    if findings and (not confirmed or is_blocking(findings)):
        raise GuardStopped(findings)
    return findings


@functools.lru_cache(maxsize=4096)
def without_findings(text):
    """`text` with everything the guard flags taken out (for URLs and other places never shown
    with a confirmation). Remembered per process: thread slugs ask for it on every list row."""
    text = text or ""
    for finding in reversed(check(text)):
        text = text[:finding.start] + " " + text[finding.end:]
    return text


class GuardedForm:
    """Mixin for a form whose text others read: the checkbox the guard's message refers to.

    The template shows it only after the guard flagged something that is not an SSN
    (`_guard.html`: `guard_message(findings)` above the form, `guard_confirm(form, findings)` in it).
    """

    confirm_not_client_data = BooleanField(
        "I checked: what is flagged above is not information about a client or family.")
    #: Set by the view from GuardStopped.findings; the template shows them.
    guard_findings = ()

    @property
    def guard_confirmed(self):
        return bool(self.confirm_not_client_data.data)
