"""County implementation surveys: instruments, their questions, rounds, invitations and responses."""
import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import IMPLEMENTATION_STAGES

#: Who answers: one response per county (its Linkages coordinator, with colleagues), or each person.
AUDIENCES = [("county", "One response per county"), ("individual", "Each staff member answers")]
AUDIENCE_LABELS = dict(AUDIENCES)

#: Kinds of question, in the order the builder offers them.
QUESTION_KINDS = [
    ("single", "Single choice"),
    ("multiple", "Multiple choice"),
    ("scale", "Scale from 1 to 5"),
    ("number", "Number"),
    ("short_text", "Short text"),
    ("long_text", "Long text"),
    ("stage", "County's implementation stage"),
]
QUESTION_KIND_LABELS = dict(QUESTION_KINDS)
CHOICE_KINDS = {"single", "multiple"}
TEXT_KINDS = {"short_text", "long_text"}
SCALE = (1, 2, 3, 4, 5)

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
SUBMITTED = "submitted"


class Survey(db.Model):
    """An instrument: the questions, asked again in rounds so answers compare over time."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: What it is for, shown to respondents (Markdown-free plain text).
    description: Mapped[str] = mapped_column(Text, default="")
    #: county or individual (AUDIENCES).
    audience: Mapped[str] = mapped_column(String(20), default="county")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    sections: Mapped[list["SurveySection"]] = relationship(
        back_populates="survey", order_by="SurveySection.position", cascade="all, delete-orphan")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="survey", order_by="Question.position", cascade="all, delete-orphan")
    rounds: Mapped[list["Round"]] = relationship(
        back_populates="survey", order_by="Round.opens_at.desc()", cascade="all, delete-orphan")

    def __str__(self):
        return self.title

    @property
    def audience_label(self):
        return AUDIENCE_LABELS.get(self.audience, self.audience)

    @hybrid_property
    def is_per_county(self):
        """One response per county (on a survey: a bool; on the class: the SQL condition)."""
        return self.audience == "county"

    def grouped_questions(self):
        """[(section or None, [questions])] in the order respondents see them."""
        groups = [(None, [q for q in self.questions if q.section_id is None])]
        groups += [(s, [q for q in self.questions if q.section_id == s.id]) for s in self.sections]
        return [(s, qs) for s, qs in groups if qs or s is not None]

    def next_position(self):
        return 1 + max((q.position for q in self.questions), default=0)


class SurveySection(db.Model):
    """A heading that groups questions ("Your county's approach")."""

    __tablename__ = "survey_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    survey: Mapped[Survey] = relationship(back_populates="sections")


class Question(db.Model):
    """One question of an instrument."""

    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("survey_sections.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=1)
    #: One of QUESTION_KINDS.
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(String(500))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(default=False)
    #: Choices of single/multiple questions, one per line, as JSON.
    options_json: Mapped[str] = mapped_column(Text, default="[]")

    survey: Mapped[Survey] = relationship(back_populates="questions")

    @property
    def options(self):
        return json.loads(self.options_json or "[]")

    @options.setter
    def options(self, values):
        self.options_json = json.dumps(list(values))

    @property
    def kind_label(self):
        return QUESTION_KIND_LABELS.get(self.kind, self.kind)

    @property
    def choices(self):
        """[(value, label)] a respondent picks from (stages come from the one fixed scale)."""
        if self.kind == "stage":
            return list(IMPLEMENTATION_STAGES)
        return [(option, option) for option in self.options]

    @property
    def field_name(self):
        return f"q{self.id}"


class Round(db.Model):
    """One administration of an instrument ("Spring 2027"), open between two dates."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: draft (being prepared), open (answers accepted until closes_at), closed.
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    opens_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="rounds")
    invitations: Mapped[list["Invitation"]] = relationship(back_populates="round", cascade="all, delete-orphan")
    responses: Mapped[list["SurveyResponse"]] = relationship(back_populates="round", cascade="all, delete-orphan")

    def __str__(self):
        return f"{self.survey.title}: {self.name}"

    def accepts_answers(self, now=None):
        now = now or utcnow()
        return self.status == OPEN and self.opens_at <= now < self.closes_at

    @property
    def is_closed(self):
        return self.status == CLOSED or (self.status == OPEN and utcnow() >= self.closes_at)


class Invitation(db.Model):
    """A person asked to answer a round; their personal link is a signed form of this row's id."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: For per-county surveys, the county this person answers for.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    invited_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    round: Mapped[Round] = relationship(back_populates="invitations")
    user = relationship("User", lazy="joined")


class SurveyResponse(db.Model):
    """A county's or a person's answers to one round: saved as a draft, then submitted."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("round_id", "respondent_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id", ondelete="CASCADE"), index=True)
    #: "county:<id>" or "person:<id>": one response per county or person and round.
    respondent_key: Mapped[str] = mapped_column(String(40))
    #: Per-county surveys: the county answering (user_id stays empty).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), index=True)
    #: Individual surveys: the person answering (never shown with the answers).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The respondent's county, kept for breakdowns of individual surveys.
    respondent_county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    round: Mapped[Round] = relationship(back_populates="responses")
    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")
    county = relationship("County", foreign_keys=[county_id], lazy="joined")

    @property
    def is_submitted(self):
        return self.status == SUBMITTED

    def values(self):
        """{question_id: value} with lists for multiple choice and ints for scales and numbers."""
        return {answer.question_id: answer.value for answer in self.answers}


class Answer(db.Model):
    """The answer to one question, as JSON (a string, a number or a list of choices)."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    value_json: Mapped[str] = mapped_column(Text, default="null")
    #: Who last changed it (colleagues contribute to a county's response).
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")

    @property
    def value(self):
        return json.loads(self.value_json or "null")

    @value.setter
    def value(self, value):
        self.value_json = json.dumps(value)
