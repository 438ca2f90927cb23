"""Forms for subscribing, preferences, importing, and composing issues and their blocks."""
import re

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, SelectField,
                     StringField, TextAreaField, URLField)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from community.accounts.services import county_choices
from community.guard import GuardedForm
from community.inputs import Form


class SubscribeForm(Form):
    email = EmailField("E-mail", validators=[
        DataRequired("Enter your e-mail address."),
        Email("Enter an e-mail address like name@county.ca.gov.", check_deliverability=False),
        Length(max=254)])
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    county_id = SelectField("County (optional)", coerce=int, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county_id.choices = county_choices("No county")


class PreferencesForm(Form):
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    county_id = SelectField("County", coerce=int, validators=[Optional()])
    paused = BooleanField("Pause the newsletter for now (you stay on the list)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county_id.choices = county_choices("No county")


class ImportForm(Form):
    file = FileField("CSV file", validators=[
        FileRequired("Choose a CSV file."), FileAllowed(["csv", "txt"], "Choose a .csv file.")],
        description="Columns: email, name, county, consent_date (YYYY-MM-DD). "
                    "Every row is checked first; if any row has a problem nothing is imported.")


class IssueForm(GuardedForm, Form):
    subject = StringField("Subject", validators=[DataRequired("Enter a subject."), Length(max=200)])
    preheader = StringField("Preheader", validators=[Optional(), Length(max=200)],
                            description="The line mail clients show after the subject.")
    introduction = TextAreaField("Introduction", validators=[Optional(), Length(max=5000)],
                                 description="Markdown: **bold**, *italic*, [links](https://…).")


class ScheduleForm(Form):
    send_at = DateTimeLocalField("Send at (Pacific time)", format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired("Choose the date and time to send.")])


class BlockForm(GuardedForm, Form):
    heading = StringField("Heading", validators=[Optional(), Length(max=200)])


class StoryBlockForm(BlockForm):
    body = TextAreaField("Story", validators=[DataRequired("Write the story."), Length(max=20000)],
                         description="Markdown: **bold**, *italic*, [links](https://…), lists.")

    def settings(self):
        return {}


class EventsBlockForm(BlockForm):
    start = DateField("From", validators=[DataRequired("Choose the first day.")])
    end = DateField("To", validators=[DataRequired("Choose the last day.")])

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError("The last day comes before the first day.")

    def settings(self):
        return {"start": self.start.data.isoformat(), "end": self.end.data.isoformat()}

    def load(self, block):
        from datetime import date

        self.start.data = date.fromisoformat(block.settings["start"])
        self.end.data = date.fromisoformat(block.settings["end"])


class ResourcesBlockForm(BlockForm):
    def settings(self):
        return {}



class HighlightsBlockForm(BlockForm):
    threads = TextAreaField("Threads", validators=[DataRequired("List at least one thread.")],
                            description="One per line: the thread's link or its number. Only "
                                        "threads the public may follow can be included.")

    def validate_threads(self, field):
        self.thread_ids = []
        for line in (field.data or "").splitlines():
            line = line.strip().split("?")[0].split("#")[0]
            if not line:
                continue
            match = re.search(r"(\d+)(?:/[-\w]*)?/?$", line)
            if match is None:
                raise ValidationError(f"“{line}” is not a thread link or number.")
            self.thread_ids.append(int(match.group(1)))
        if not self.thread_ids:
            raise ValidationError("List at least one thread.")

    def settings(self):
        return {"thread_ids": self.thread_ids}

    def load(self, block):
        self.threads.data = "\n".join(str(i) for i in block.settings.get("thread_ids", []))


class CtaBlockForm(BlockForm):
    body = TextAreaField("Text above the button", validators=[Optional(), Length(max=2000)])
    button_text = StringField("Button text", validators=[DataRequired("Enter the button text."),
                                                         Length(max=60)])
    button_url = URLField("Button link", validators=[
        DataRequired("Enter the link."), URL(message="Enter a full link starting with https://."),
        Length(max=500)])

    def validate_button_url(self, field):
        if not (field.data or "").startswith(("http://", "https://")):
            raise ValidationError("Enter a full link starting with https://.")

    def settings(self):
        return {"button_text": self.button_text.data.strip(), "button_url": self.button_url.data.strip()}

    def load(self, block):
        self.button_text.data = block.settings.get("button_text", "")
        self.button_url.data = block.settings.get("button_url", "")


BLOCK_FORMS = {
    "story": StoryBlockForm,
    "events": EventsBlockForm,
    "resources": ResourcesBlockForm,
    "highlights": HighlightsBlockForm,
    "cta": CtaBlockForm,
}
