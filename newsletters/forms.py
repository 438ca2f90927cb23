"""Forms for subscribing, preferences, importing, and composing issues and their blocks."""

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, SearchField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, URLField)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from community.accounts.services import county_choices
from community.guard import GuardedForm
from community.inputs import Form

from .models import TOPICS


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (shown as a fieldset by the `field` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def topics_field(label, description):
    return CheckboxesField(label, choices=list(TOPICS.items()), description=description)


SUBSCRIBER_TOPICS_HINT = ("Issues about a topic go to those who chose it; issues for everyone "
                          "come whatever you choose.")


class SubscribeForm(Form):
    email = EmailField("E-mail", validators=[
        DataRequired("Enter your e-mail address."),
        Email("Enter an e-mail address like name@county.ca.gov.", check_deliverability=False),
        Length(max=254)])
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    county_id = SelectField("County (optional)", coerce=int, validators=[Optional()])
    topic_names = topics_field("Topics", SUBSCRIBER_TOPICS_HINT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.county_id.choices = county_choices("No county")
        if not self.is_submitted():
            self.topic_names.data = list(TOPICS)


class PreferencesForm(Form):
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    county_id = SelectField("County", coerce=int, validators=[Optional()])
    topic_names = topics_field("Topics", SUBSCRIBER_TOPICS_HINT)
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
    topic_names = topics_field("Topics of this issue",
                               "It goes to the subscribers who chose any of the ticked topics; "
                               "with none ticked, to every confirmed subscriber.")


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



class ThreadIdsField(SelectMultipleField):
    """Thread numbers ticked in the picker; which of them may be published is the service's call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, coerce=int, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        if any(not 0 < number < 2**31 for number in self.data or []):
            raise ValidationError("Choose threads from the list.")


class HighlightsBlockForm(BlockForm):
    thread_ids = ThreadIdsField("Threads in this block",
                                description="Only threads the public may follow can be chosen; "
                                            "the newsletter shows each one's title and a link.")
    find = SearchField("Find a public thread", validators=[Optional(), Length(max=200)],
                       description="Words from its title or posts, or paste its link.")

    def validate_thread_ids(self, field):
        if not field.data:
            raise ValidationError("Choose at least one thread.")

    def settings(self):
        return {"thread_ids": list(dict.fromkeys(self.thread_ids.data))}

    def load(self, block):
        self.thread_ids.data = list(block.settings.get("thread_ids", []))


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
