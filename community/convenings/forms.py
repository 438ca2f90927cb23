"""Forms for events, agenda sessions, registration, materials, check-in and feedback.

Times are entered in Pacific time; views convert them to UTC with `timeutil.from_pacific`.
"""
from wtforms import (BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, URLField)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..guard import GuardedForm
from ..inputs import Form
from ..permissions import VISIBILITIES
from ..vocabulary import EVENT_KINDS, PROGRAMS

PACIFIC_HINT = "Pacific time (America/Los_Angeles)."
#: Recurrence presets; "monthly-weekday" becomes e.g. FREQ=MONTHLY;BYDAY=3TU from the first start.
REPEATS = [("", "Does not repeat"), ("weekly", "Every week"), ("biweekly", "Every two weeks"),
           ("monthly-weekday", "Every month on the same weekday (e.g. third Tuesday)"),
           ("monthly-date", "Every month on the same date")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(GuardedForm, Form):
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

    def validate_end_at(self, field):
        if self.start_at.data and field.data and field.data <= self.start_at.data:
            raise ValidationError("The end must be after the start.")

    def validate_visibility(self, field):
        if field.data == "clusters" and not self.cluster_id.data:
            raise ValidationError("Choose the cluster that may see this event (under Cluster).")


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
