"""Forms for asking CFPIC for help, triaging, notes and attached resources."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, Optional

from ..guard import GuardedForm
from ..inputs import Form, RemembersShown
from ..resources.files import ACCEPT_ATTRIBUTE
from ..timeutil import from_pacific
from ..vocabulary import STRATEGIES, TOOLKIT_AREAS
from .models import FORMATS, STATUSES, URGENCIES


class AskForm(GuardedForm, Form):
    topic = StringField("What do you need help with?", validators=[
        DataRequired("Say in a few words what you need help with."), Length(max=200)],
        description="For example: “Starting joint case reviews with Welfare-to-Work”.")
    details = TextAreaField("What have you tried, and what would help?", validators=[Optional(), Length(max=10000)],
                            description="Describe practice and policy, never a family.")
    toolkit_area = SelectField("Toolkit area", choices=[("", "Not sure")] + TOOLKIT_AREAS, validators=[Optional()])
    strategy = SelectField("Linkages strategy", choices=[("", "Not sure")] + STRATEGIES, validators=[Optional()])
    urgency = RadioField("How soon?", choices=URGENCIES, default="normal")
    preferred_format = RadioField("What kind of help would suit you?", choices=FORMATS, default="call")
    file = FileField("Attach a file (optional)", render_kw={"accept": ACCEPT_ATTRIBUTE}, description=(
        "A policy, protocol or form you want CFPIC to look at: PDF, Word, Excel, PowerPoint, text or "
        "Markdown. Never a family's records."))


class TriageForm(RemembersShown, Form):
    status = SelectField("Status", choices=STATUSES)
    assignee_id = SelectField("CFPIC staff member", coerce=int, choices=[(0, "Nobody yet")])
    scheduled_at = DateTimeLocalField("Call or visit on", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                      description="Pacific time. The county gets a calendar invitation.")
    meeting_link = URLField("Join link or place", validators=[
        Optional(), URL(message="Enter a full link (https://…)."), Length(max=500)])

    def shown_values(self):
        """What the form says, as `services.triage` takes it (UTC)."""
        return {"status": self.status.data, "assignee_id": self.assignee_id.data,
                "scheduled_at": from_pacific(self.scheduled_at.data) if self.scheduled_at.data else None,
                "meeting_link": self.meeting_link.data or ""}


class NoteForm(GuardedForm, Form):
    body = TextAreaField("Note", validators=[DataRequired("Write the note."), Length(max=10000)])
    shared = BooleanField("Share with the county (they are e-mailed)")


class AttachForm(Form):
    address = StringField("Address of a library resource", validators=[
        DataRequired("Paste the address of a resource in the library."), Length(max=300)],
        description="Copy it from the resource's page, e.g. https://…/library/12")


class FileForm(Form):
    file = FileField("Add a file", validators=[FileRequired("Choose a file to add.")],
                     render_kw={"accept": ACCEPT_ATTRIBUTE},
                     description="PDF, Word, Excel, PowerPoint, text or Markdown. Never a family's records.")


class ReleaseForm(Form):
    """Releasing a held file: which one comes from the button; the form carries the CSRF token."""
