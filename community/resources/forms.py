"""Forms for sharing and describing resources, new versions and toolkit curation."""
from datetime import date

from flask import current_app
from flask_wtf.file import FileField
from wtforms import (IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, URLField)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..guard import GuardedForm
from ..inputs import Form
from ..permissions import CLUSTERS, VISIBILITIES
from ..vocabulary import DOCUMENT_TYPES, PROGRAMS, STRATEGIES, TOOLKIT_AREAS
from .files import ACCEPT_ATTRIBUTE


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (rendered in a fieldset by resources/_fields.html)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ResourceForm(GuardedForm, Form):
    title = StringField("Title", validators=[DataRequired("Give the resource a title."), Length(max=200)])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=4000)],
                            description="What it is, and how your county uses it.")
    file = FileField("File", render_kw={"accept": ACCEPT_ATTRIBUTE},
                     description="PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), text or Markdown; up to 25 MB.")
    link_url = URLField("Or a link instead of a file", validators=[
        Optional(), URL(message="Enter a full address starting with https://."),
        Regexp(r"(?i)^https?://", message="Enter a full address starting with https://."), Length(max=500)],
        description="For a video or a page elsewhere, e.g. https://www.cfpic.org/linkages-video.")
    note = StringField("Version note", validators=[Optional(), Length(max=500)],
                       description="Optional: what this version is (\"Adopted by both directors, March 2024\").")
    county_id = SelectField("County", coerce=int, validators=[Optional()])
    program = SelectField("Program", choices=PROGRAMS, default="linkages")
    doc_type = SelectField("Document type", choices=[("", "Choose a type")] + DOCUMENT_TYPES,
                           validators=[DataRequired("Choose the type of document.")])
    toolkit_areas = CheckboxesField("Toolkit areas", choices=TOOLKIT_AREAS)
    strategies = CheckboxesField("Linkages strategies", choices=STRATEGIES)
    tags = StringField("Tags", validators=[Optional(), Length(max=400)],
                       description="Separate tags with commas, e.g. release of information, co-location.")
    year = IntegerField("Year", validators=[Optional(), NumberRange(1990, date.today().year + 1,
                                                                    "Enter a year such as 2023.")])
    visibility = RadioField("Who can see it", choices=VISIBILITIES, default="members")
    cluster_ids = CheckboxesField("Clusters", coerce=int,
                                  description="For cluster members only: which of your clusters.")

    def __init__(self, *args, requires_content=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.requires_content = requires_content
        limit_file_size(self.file)

    def validate_cluster_ids(self, field):
        if self.visibility.data == CLUSTERS and not field.data:
            raise ValidationError("Choose at least one cluster, or another visibility.")

    def validate_file(self, field):
        if not self.requires_content:
            return
        has_file = bool(field.data and getattr(field.data, "filename", ""))
        if has_file and self.link_url.data:
            raise ValidationError("Share either a file or a link, not both.")
        if not has_file and not self.link_url.data:
            raise ValidationError("Choose a file to upload, or enter a link.")


class VersionForm(GuardedForm, Form):
    file = FileField("New file", render_kw={"accept": ACCEPT_ATTRIBUTE})
    note = StringField("What changed", validators=[Optional(), Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_file_size(self.file)


def limit_file_size(field):
    """Let the browser refuse a file over MAX_CONTENT_LENGTH before sending it (resources.js)."""
    field.render_kw = {**(field.render_kw or {}), "data-max-bytes": current_app.config["MAX_CONTENT_LENGTH"]}


class ToolkitAreaForm(GuardedForm, Form):
    """What an area's page says before its resources, and who curates it."""

    introduction = TextAreaField("Start here", validators=[Optional(), Length(max=4000)],
                                 description="Shown first on the area's page: what the area is for and "
                                             "where to begin. Separate paragraphs with a blank line.")
    curator_id = SelectField("Curated by", coerce=int, validators=[Optional()])


class ConfirmForm(Form):
    """The uploader releases a file the confidentiality guard held (nothing to fill in)."""


class ToolkitAddForm(Form):
    resource_id = SelectField("Resource", coerce=lambda value: int(value) if value else None,
                              validators=[DataRequired("Choose a resource.")])
