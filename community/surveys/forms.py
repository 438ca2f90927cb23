"""Forms for building surveys and running rounds. Answers are read by `services.parse_answers`,
because a survey's questions are data, not fields known in advance."""
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..inputs import Form
from .models import AUDIENCES, QUESTION_KINDS

PACIFIC_HINT = "Pacific time (America/Los_Angeles)."


class SurveyForm(Form):
    title = StringField("Title", validators=[DataRequired("Give the survey a title."), Length(max=200)])
    description = TextAreaField("What it is for", validators=[Optional(), Length(max=5000)],
                                description="Shown to the people you invite, above the questions.")
    audience = RadioField("Who answers", choices=AUDIENCES, default="county")


class SectionForm(Form):
    title = StringField("Section heading", validators=[DataRequired("Give the section a heading."),
                                                       Length(max=200)])
    description = TextAreaField("Introduction", validators=[Optional(), Length(max=2000)])


class QuestionForm(Form):
    prompt = StringField("Question", validators=[DataRequired("Write the question."), Length(max=500)])
    kind = SelectField("Kind of answer", choices=QUESTION_KINDS)
    options = TextAreaField("Choices", validators=[Optional(), Length(max=5000)],
                            description="For single and multiple choice: one choice per line.")
    help_text = StringField("Help text", validators=[Optional(), Length(max=500)])
    required = BooleanField("An answer is required to submit")
    section_id = SelectField("Section", coerce=int, choices=[(0, "No section")])


class RoundForm(Form):
    name = StringField("Name of the round", validators=[DataRequired("Name the round, e.g. “Spring 2027”."),
                                                        Length(max=120)])
    opens_at = DateTimeLocalField("Opens", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired("Enter when the round opens.")],
                                  description=PACIFIC_HINT)
    closes_at = DateTimeLocalField("Closes", format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired("Enter when the round closes.")],
                                   description=PACIFIC_HINT)
