"""Forms for events, agenda sessions, registration, materials, check-in and feedback.

Times are entered in Pacific time; views convert them to UTC with `timeutil.from_pacific`.
"""
from datetime import datetime, timedelta

from wtforms import (BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, URLField)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..guard import GuardedForm
from ..inputs import Form, RemembersShown
from ..permissions import VISIBILITIES
from ..timeutil import from_pacific, to_pacific
from ..vocabulary import EVENT_KINDS, PROGRAMS
from .services import Answers

PACIFIC_HINT = "Pacific time (America/Los_Angeles)."
#: Recurrence presets; "monthly-weekday" becomes e.g. FREQ=MONTHLY;BYDAY=3TU from the first start.
REPEATS = [("", "Does not repeat"), ("weekly", "Every week"), ("biweekly", "Every two weeks"),
           ("monthly-weekday", "Every month on the same weekday (e.g. third Tuesday)"),
           ("monthly-date", "Every month on the same date")]


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def rule_for(repeats, start_local, count):
    """The RRULE for a preset, anchored at the first start (e.g. third Tuesday)."""
    if not repeats:
        return ""
    weekday = WEEKDAYS[start_local.weekday()]
    nth = (start_local.day - 1) // 7 + 1
    rule = {"weekly": "FREQ=WEEKLY", "biweekly": "FREQ=WEEKLY;INTERVAL=2",
            "monthly-weekday": f"FREQ=MONTHLY;BYDAY={nth if nth < 5 else -1}{weekday}",
            "monthly-date": "FREQ=MONTHLY"}[repeats]
    return f"{rule};COUNT={count}" if count else rule


def preset_of(rule):
    """(preset, number of occurrences or None) of an RRULE that `rule_for` wrote."""
    if not rule:
        return "", None
    if "INTERVAL=2" in rule:
        preset = "biweekly"
    elif "FREQ=WEEKLY" in rule:
        preset = "weekly"
    else:
        preset = "monthly-weekday" if "BYDAY" in rule else "monthly-date"
    counts = [int(part[6:]) for part in rule.split(";") if part.startswith("COUNT=")]
    return preset, counts[0] if counts else None


def local(value):
    """A stored UTC time as the naive Pacific wall-clock time a form field shows (None stays None)."""
    return to_pacific(value).replace(tzinfo=None) if value else None


def utc(value):
    """A form's naive Pacific wall-clock time as stored UTC (None stays None)."""
    return from_pacific(value) if value else None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(RemembersShown, GuardedForm, Form):
    title = StringField("Title", validators=[DataRequired("Give the event a title."), Length(max=200)])
    kind = SelectField("Kind of event", choices=EVENT_KINDS)
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)],
                            description="Markdown: **bold**, lists, links.")
    start_at = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired("Enter when it starts.")], description=PACIFIC_HINT)
    end_at = DateTimeLocalField("Ends", format="%Y-%m-%dT%H:%M",
                                validators=[InputRequired("Enter when it ends.")], description=PACIFIC_HINT)
    repeats = SelectField("Repeats", choices=REPEATS, validators=[Optional()])
    repeat_count = IntegerField("Number of occurrences", validators=[Optional(), NumberRange(2, 120)],
                                description="Leave empty to repeat until the series is cancelled.")
    venue = StringField("Venue", validators=[Optional(), Length(max=300)],
                        description="Street address and room. Leave empty for an online event.")
    join_url = URLField("Online join link", validators=[Optional(), URL(message="Enter a full link (https://…)."),
                                                        Length(max=500)],
                        description="Shown only to registered people, never on public pages or feeds.")
    visibility = SelectField("Who can see it", choices=VISIBILITIES)
    cluster_id = SelectField("Cluster", coerce=lambda v: int(v) if v else None, validators=[Optional()],
                             description="For cluster calls and cluster-only events.")
    capacity = IntegerField("Seats", validators=[Optional(), NumberRange(1, 100000)],
                            description="Leave empty for no limit. When full, people join a waitlist.")
    registration_enabled = BooleanField("People register for this event", default=True)
    requires_approval = BooleanField("An organizer approves each registration")
    registration_opens_at = DateTimeLocalField("Registration opens", format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()], description=PACIFIC_HINT)
    registration_closes_at = DateTimeLocalField("Registration closes", format="%Y-%m-%dT%H:%M",
                                                validators=[Optional()],
                                                description="Empty: open until the event starts.")
    organizer_ids = MultiCheckboxField("Organizers", coerce=int, validators=[Optional()])

    def shown_values(self):
        return {**self.event_fields(), "organizer_ids": sorted(self.organizer_ids.data or [])}

    def validate_end_at(self, field):
        if self.start_at.data and field.data and field.data <= self.start_at.data:
            raise ValidationError("The end must be after the start.")

    def validate_visibility(self, field):
        if field.data == "clusters" and not self.cluster_id.data:
            raise ValidationError("Choose the cluster that may see this event (under Cluster).")

    @classmethod
    def for_event(cls, event):
        """The form filled with an event's values, in Pacific time and as a repeat preset."""
        repeats, count = preset_of(event.rrule)
        return cls(obj=event, start_at=local(event.start_at), end_at=local(event.end_at),
                   registration_opens_at=local(event.registration_opens_at),
                   registration_closes_at=local(event.registration_closes_at),
                   repeats=repeats, repeat_count=count, organizer_ids=[u.id for u in event.organizers])

    def event_fields(self):
        """What the form says, as `create_event` / `update_event` take it (UTC, an RRULE)."""
        return dict(
            kind=self.kind.data, title=self.title.data.strip(), summary=self.summary.data or "",
            start_at=utc(self.start_at.data), end_at=utc(self.end_at.data),
            venue=(self.venue.data or "").strip(), join_url=(self.join_url.data or "").strip(),
            visibility=self.visibility.data, cluster_id=self.cluster_id.data,
            rrule=rule_for(self.repeats.data, self.start_at.data, self.repeat_count.data),
            capacity=self.capacity.data, requires_approval=self.requires_approval.data,
            registration_enabled=self.registration_enabled.data,
            registration_opens_at=utc(self.registration_opens_at.data),
            registration_closes_at=utc(self.registration_closes_at.data))


class SessionForm(GuardedForm, Form):
    title = StringField("Session title", validators=[DataRequired("Give the session a title."), Length(max=200)])
    start_at = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired("Enter when it starts.")], description=PACIFIC_HINT)
    end_at = DateTimeLocalField("Ends", format="%Y-%m-%dT%H:%M",
                                validators=[InputRequired("Enter when it ends.")], description=PACIFIC_HINT)
    track = StringField("Track", validators=[Optional(), Length(max=120)],
                        description="Plenary, Workshops, Clinical academy …")
    room = StringField("Room", validators=[Optional(), Length(max=120)])
    speakers = StringField("Speakers", validators=[Optional(), Length(max=300)])
    speaker_id = SelectField("Speaker who is a member", coerce=lambda v: int(v) if v else None,
                             validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    needs_choice = BooleanField("Registrants choose this session (a parallel workshop)")
    capacity = IntegerField("Seats in the room", validators=[Optional(), NumberRange(1, 10000)])

    def validate_end_at(self, field):
        if self.start_at.data and field.data and field.data <= self.start_at.data:
            raise ValidationError("The end must be after the start.")

    @classmethod
    def for_session(cls, event, session=None):
        """The form for a session, or for a new one starting with the event and lasting an hour."""
        if session is not None:
            return cls(obj=session, start_at=local(session.start_at), end_at=local(session.end_at))
        return cls(start_at=local(event.start_at), end_at=local(event.start_at + timedelta(hours=1)))

    def session_fields(self):
        """What the form says, as `save_session` takes it."""
        return dict(title=self.title.data.strip(), start_at=utc(self.start_at.data),
                    end_at=utc(self.end_at.data), track=self.track.data or "", room=self.room.data or "",
                    speakers=self.speakers.data or "", speaker_id=self.speaker_id.data,
                    description=self.description.data or "", needs_choice=self.needs_choice.data,
                    capacity=self.capacity.data)


class OccurrenceForm(Form):
    original = SelectField("Occurrence", validators=[DataRequired("Choose an occurrence.")])
    action = RadioField("Change", choices=[("skip", "Skip it"), ("move", "Move it")], default="skip")
    new_start = DateTimeLocalField("New start", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                   description=PACIFIC_HINT)
    new_end = DateTimeLocalField("New end", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    note = StringField("Note for registrants", validators=[Optional(), Length(max=300)])

    def validate_new_start(self, field):
        if self.action.data == "move" and not (field.data and self.new_end.data):
            raise ValidationError("Enter the new start and end of the moved occurrence.")

    def offer(self, occurrences):
        """Offer the (start, end, original start) occurrences of a series to choose from."""
        self.original.choices = [("", "Choose a date")] + [
            (original.isoformat(), f"{to_pacific(original):%a, %b %-d, %Y %-I:%M %p %Z}")
            for _, _, original in occurrences]

    def change(self):
        """What the form says, as `change_occurrence` takes it (no new times: skip)."""
        moving = self.action.data == "move"
        return dict(original_start=datetime.fromisoformat(self.original.data),
                    new_start=utc(self.new_start.data) if moving else None,
                    new_end=utc(self.new_end.data) if moving else None, note=self.note.data or "")


class RegistrationForm(GuardedForm, Form):
    county_id = SelectField("County", coerce=lambda v: int(v) if v else None, validators=[Optional()])
    program = SelectField("Program", choices=[("", "Choose a program")] + PROGRAMS,
                          validators=[DataRequired("Choose the program you work in.")])
    dietary_needs = StringField("Dietary needs", validators=[Optional(), Length(max=300)],
                                description="For in-person events with meals (optional).")
    accessibility_needs = StringField("Accessibility needs", validators=[Optional(), Length(max=300)],
                                      description="Interpretation, captioning, seating … (optional).")
    session_ids = MultiCheckboxField("Workshops", coerce=int, validators=[Optional()],
                                     description="Choose at most one workshop per time slot.")
    show_name = BooleanField("Show my name on the participant list")

    def offer(self, event, counties):
        """Fill the county and workshop choices for `event`."""
        self.county_id.choices = [("", "No county (state or partner)")] + [
            (value, label) for value, label in counties if value]
        self.session_ids.choices = [
            (s.id, f"{s.title} — {to_pacific(s.start_at):%a %-I:%M %p}{' · ' + s.room if s.room else ''}")
            for s in event.sessions if s.needs_choice]

    def answers(self):
        return Answers(county_id=self.county_id.data, program=self.program.data,
                       dietary_needs=self.dietary_needs.data, accessibility_needs=self.accessibility_needs.data,
                       show_name=self.show_name.data, session_ids=tuple(self.session_ids.data or ()),
                       confirmed=self.guard_confirmed)


class MaterialForm(Form):
    title = StringField("Title", validators=[DataRequired("Give the material a title."), Length(max=200)])
    url = URLField("Link", validators=[DataRequired("Enter the link."), URL(message="Enter a full link (https://…)."),
                                       Length(max=500)])
    session_id = SelectField("Session", coerce=lambda v: int(v) if v else None, validators=[Optional()])


class RecordingForm(Form):
    recording_url = URLField("Recording link", validators=[Optional(), URL(message="Enter a full link (https://…)."),
                                                           Length(max=500)])
    feedback_open = BooleanField("Ask registrants for feedback")


class FeedbackForm(GuardedForm, Form):
    rating = RadioField("Overall, how was it?", coerce=int,
                        choices=[(5, "Excellent"), (4, "Good"), (3, "Fair"), (2, "Poor"), (1, "Very poor")],
                        validators=[InputRequired("Choose a rating.")])
    useful = RadioField("Will you use what you learned in your county?",
                        choices=[("yes", "Yes"), ("maybe", "Maybe"), ("no", "No")],
                        validators=[InputRequired("Choose an answer.")])
    comment = TextAreaField("What should we keep or change?", validators=[Optional(), Length(max=3000)])
