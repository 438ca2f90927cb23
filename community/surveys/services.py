"""Survey operations: build instruments, run rounds, invite and remind, answer, submit.

Services check the permission policy, change objects, flush and queue jobs; the caller commits.
Results (aggregates with small-group suppression) live in `results.py`.
"""
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from .. import audit, guard, jobs, mail, ordering
from ..accounts.models import County, User
from ..errors import DomainError
from ..extensions import db
from ..inputs import CONTROL_MESSAGE, changed_since_shown
from ..permissions import NotAllowed, can
from ..timeutil import format_pacific, utcnow
from ..vocabulary import IMPLEMENTATION_STAGES
from .models import (AUDIENCE_LABELS, CHOICE_KINDS, CLOSED, DRAFT, OPEN, QUESTION_KIND_LABELS, SCALE,
                     SUBMITTED, TEXT_KINDS, Answer, Invitation, Question, SurveyResponse, Round, Survey,
                     SurveySection)

#: Unanswered invitations get one reminder when the round closes within this many days.
REMINDER_DAYS = 7
MAX_TEXT = {"short_text": 300, "long_text": 5000}
STAGE_KEYS = [key for key, _ in IMPLEMENTATION_STAGES]


class SurveyError(DomainError):
    """A survey rule was broken; the message is for the person, `field` names the form field."""


class AnswersInvalid(SurveyError):
    """Some answers cannot be saved; `errors` maps question field names to messages."""

    def __init__(self, errors, needs_confirmation=False):
        super().__init__("Please correct the answers marked below.")
        self.errors = errors
        self.needs_confirmation = needs_confirmation


def _require_organizer(user):
    if not can(user, "organize"):
        raise NotAllowed("Only CFPIC organizers build and run surveys.")


# ---------------------------------------------------------------- building instruments

def create_survey(actor, title, description="", audience="county"):
    _require_organizer(actor)
    survey = Survey(created_by_id=actor.id)
    _describe(survey, title, description, audience)
    db.session.add(survey)
    db.session.flush()
    audit.record(actor, "survey.create", "survey", survey.id)
    return survey


def update_survey(survey, actor, title, description, audience):
    _require_organizer(actor)
    if audience != survey.audience and _has_responses(survey):
        raise SurveyError("People have answered this survey already; its audience cannot change.", "audience")
    _describe(survey, title, description, audience)
    db.session.flush()
    return survey


def _describe(survey, title, description, audience):
    if not (title or "").strip():
        raise SurveyError("Give the survey a title.", "title")
    if audience not in AUDIENCE_LABELS:
        raise SurveyError("Choose who answers.", "audience")
    survey.title, survey.description = title.strip()[:200], (description or "").strip()
    survey.audience, survey.updated_at = audience, utcnow()


def add_section(survey, actor, title, description=""):
    _require_organizer(actor)
    if not (title or "").strip():
        raise SurveyError("Give the section a heading.", "title")
    section = SurveySection(survey=survey, title=title.strip()[:200], description=(description or "").strip(),
                            position=1 + max((s.position for s in survey.sections), default=0))
    db.session.add(section)
    db.session.flush()
    return section


#: The longest choice a question offers (a choice is a short label, shown beside a box).
CHOICE_LENGTH = 200


def save_question(survey, actor, question=None, *, kind, prompt, help_text="", required=False,
                  options=(), section_id=None):
    """Add a question, or change one; a question that has answers keeps its kind and choices."""
    _require_organizer(actor)
    if kind not in QUESTION_KIND_LABELS:
        raise SurveyError("Choose a kind of question.", "kind")
    if not (prompt or "").strip():
        raise SurveyError("Write the question.", "prompt")
    options = [o.strip() for o in options if o and o.strip()]
    too_long = next((n for n, option in enumerate(options, start=1) if len(option) > CHOICE_LENGTH), None)
    if too_long is not None:
        raise SurveyError(f"Keep each choice to {CHOICE_LENGTH} characters; choice {too_long} is longer.",
                          "options")
    options = list(dict.fromkeys(options))
    if kind in CHOICE_KINDS and len(options) < 2:
        raise SurveyError("A choice question needs at least two choices, one per line.", "options")
    if section_id and section_id not in {s.id for s in survey.sections}:
        raise SurveyError("Choose one of this survey's sections.", "section_id")
    if question is not None and _question_answered(question) and (
            kind != question.kind or (kind in CHOICE_KINDS and options != question.options)):
        raise SurveyError("People have answered this question: its kind and choices stay as they are. "
                          "Add a new question instead.", "kind")
    if question is None:
        question = Question(survey=survey, position=survey.next_position())
        db.session.add(question)
    question.kind, question.prompt = kind, prompt.strip()[:500]
    question.help_text, question.required = (help_text or "").strip()[:500], bool(required)
    question.options = options if kind in CHOICE_KINDS else []
    question.section_id = section_id or None
    survey.updated_at = utcnow()
    db.session.flush()
    return question


def move_question(question, actor, offset):
    _require_organizer(actor)
    ordering.move(question.survey.questions, question, offset)
    db.session.flush()


def delete_question(question, actor):
    _require_organizer(actor)
    if _question_answered(question):
        raise SurveyError("People have answered this question, so it stays (rounds are compared over time).")
    db.session.delete(question)
    db.session.flush()


def _question_answered(question):
    if question.id is None:
        return False
    return bool(db.session.scalar(select(func.count(Answer.id)).where(Answer.question_id == question.id)))


def _has_responses(survey):
    return bool(db.session.scalar(
        select(func.count(SurveyResponse.id)).join(Round).where(Round.survey_id == survey.id)))


# ---------------------------------------------------------------- rounds, invitations, reminders

def create_round(survey, actor, name, opens_at, closes_at):
    _require_organizer(actor)
    if not (name or "").strip():
        raise SurveyError("Name the round, e.g. “Spring 2027”.", "name")
    if not survey.questions:
        raise SurveyError("Add questions before starting a round.")
    if closes_at <= opens_at:
        raise SurveyError("The round must close after it opens.", "closes_at")
    survey_round = Round(survey=survey, name=name.strip()[:120], opens_at=opens_at, closes_at=closes_at)
    db.session.add(survey_round)
    db.session.flush()
    audit.record(actor, "survey.round_create", "survey_round", survey_round.id)
    return survey_round


def open_round(survey_round, actor):
    """Open a round for answers and invite its audience (each person once)."""
    _require_organizer(actor)
    if survey_round.status == CLOSED:
        raise SurveyError("This round is closed.")
    if survey_round.closes_at <= utcnow():
        raise SurveyError("This round's closing date has passed; create a new round.")
    survey_round.status = OPEN
    invited = invite(survey_round)
    audit.record(actor, "survey.round_open", "survey_round", survey_round.id, f"{invited} invited")
    return invited


def close_round(survey_round, actor):
    _require_organizer(actor)
    if survey_round.status == CLOSED:  # a second click
        return
    if survey_round.status != OPEN:
        raise SurveyError("Only an open round can be closed: open it first, or leave it as a draft.")
    survey_round.status = CLOSED
    survey_round.closes_at = min(survey_round.closes_at, utcnow())
    db.session.flush()
    audit.record(actor, "survey.round_close", "survey_round", survey_round.id)


def audience_of(survey):
    """[(person, county_id)] the survey invites: county staff (not CFPIC or State staff).

    A per-county survey goes to each county's Linkages coordinators (staff whose job title names
    Linkages); in a county where nobody's does, to every member from that county.
    """
    people = db.session.scalars(
        select(User).where(User.status == "active", User.role == "member", User.county_id.is_not(None),
                           User.program.not_in(("cfpic", "state"))).order_by(User.id)).all()
    if not survey.is_per_county:
        return [(person, person.county_id) for person in people]
    by_county = {}
    for person in people:
        by_county.setdefault(person.county_id, []).append(person)
    chosen = []
    for county_id, staff in by_county.items():
        coordinators = [p for p in staff if "linkages" in (p.title or "").lower()]
        chosen += [(p, county_id) for p in (coordinators or staff)]
    return chosen


def invite(survey_round):
    """Invite everyone in the audience not invited yet; safe to repeat. Only while the round is
    open: an invitation written for a round not open yet would count its person as invited when
    it opens, and the e-mail (which an open round sends) would never go."""
    if survey_round.status != OPEN:
        raise SurveyError("Invitations go out while the round is open.")
    already = set(db.session.scalars(select(Invitation.user_id).where(Invitation.round_id == survey_round.id)))
    count = 0
    for person, county_id in audience_of(survey_round.survey):
        if person.id in already:
            continue
        invitation = Invitation(round=survey_round, user_id=person.id, county_id=county_id)
        db.session.add(invitation)
        db.session.flush()
        jobs.enqueue(send_invitation, invitation.id, "invitation")
        count += 1
    return count


def send_reminders(now=None):
    """One reminder per unanswered invitation of rounds closing within REMINDER_DAYS; safe to repeat."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Invitation).join(Round)
        .where(Round.status == OPEN, Round.opens_at <= now, Round.closes_at > now,
               Round.closes_at <= now + timedelta(days=REMINDER_DAYS),
               Invitation.invited_at.is_not(None), Invitation.reminded_at.is_(None))
        .with_for_update(of=Invitation, skip_locked=True)).all()
    sent = 0
    for invitation in due:
        response = _existing_response(invitation.round, invitation.user, invitation.county_id)
        if response is not None and response.is_submitted:
            continue
        invitation.reminded_at = now
        jobs.enqueue(send_invitation, invitation.id, "reminder")
        sent += 1
    return sent


def invitation_token(invitation):
    return _serializer().dumps(invitation.id)


def invitation_for_token(token):
    try:
        ident = _serializer().loads(token or "")
    except BadSignature:
        return None
    return db.session.get(Invitation, ident) if isinstance(ident, int) else None


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="survey-invitation")


def send_invitation(invitation_id, kind):
    """Job: e-mail an invitation or reminder with the person's own link (rendered now, not queued)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not invitation.user.is_active:
        return False
    survey_round = invitation.round
    if survey_round.status != OPEN:
        return False
    if kind == "invitation":
        if invitation.invited_at is not None:
            return False  # already sent (a retried job)
        invitation.invited_at = utcnow()
    subject = (f"Reminder: {survey_round.survey.title} closes {format_pacific(survey_round.closes_at, '%b %-d')}"
               if kind == "reminder" else f"Please answer: {survey_round.survey.title} ({survey_round.name})")
    link = mail.external_url("surveys.invitation", token=invitation_token(invitation))
    county = db.session.get(County, invitation.county_id) if invitation.county_id else None
    message = mail.render_message("survey_invitation", (invitation.user.name, invitation.user.email), subject,
                                  invitation=invitation, survey_round=survey_round, link=link, kind=kind,
                                  county=county)
    mail.send(message)
    db.session.flush()
    return True


# ---------------------------------------------------------------- answering

def _keys_of(user, county_id=None):
    """The respondent keys a person answers under: (their county's, or `county_id`'s; their own)."""
    return f"county:{county_id or user.county_id}", f"person:{user.id}"


def respondent_key(survey, user):
    if survey.is_per_county:
        return _keys_of(user)[0] if user.county_id else None
    return _keys_of(user)[1]


def _existing_response(survey_round, user, county_id=None):
    county_key, person_key = _keys_of(user, county_id)
    key = county_key if survey_round.survey.is_per_county else person_key
    return db.session.scalar(select(SurveyResponse).where(SurveyResponse.round_id == survey_round.id,
                                                    SurveyResponse.respondent_key == key))


def answers_surveys(user):
    """County staff with a county answer surveys (for it, or for themselves): the policy's
    `answer_surveys`."""
    return can(user, "answer_surveys") and user.county_id is not None


def may_answer(survey_round, user):
    """Whether this person may answer (or, for a county, contribute to) a round."""
    if not answers_surveys(user):
        return False
    return survey_round.status in (OPEN, CLOSED) and survey_round.opens_at <= utcnow()


def response_for(survey_round, user, create=False):
    """The county's or the person's response to a round, created as a draft when asked."""
    if not may_answer(survey_round, user):
        raise NotAllowed("You cannot answer this survey.")
    response = _existing_response(survey_round, user)
    if response is None and create:
        survey = survey_round.survey
        response = SurveyResponse(round_id=survey_round.id, respondent_key=respondent_key(survey, user),
                            county_id=user.county_id if survey.is_per_county else None,
                            user_id=None if survey.is_per_county else user.id,
                            respondent_county_id=user.county_id, status=DRAFT)
        try:
            with db.session.begin_nested():
                db.session.add(response)
        except IntegrityError:  # a colleague started the county's response at the same moment
            response = _existing_response(survey_round, user)
    return response


def parse_answers(survey, formdata):
    """{question: value} read from submitted form data, and {field name: message} for bad ones.

    A refused answer keeps what was typed as its value, so the page shows it to be corrected; an
    answer that had invisible control characters (removed by `inputs`) is refused with the same
    message as any other form's field.
    """
    values, errors = {}, {}
    cleaned = getattr(formdata, "cleaned", set())
    for question in survey.questions:
        name = question.field_name
        raw = formdata.getlist(name) if question.kind == "multiple" else (formdata.get(name) or "").strip()
        try:
            values[question.id] = _parse_one(question, raw)
            if name in cleaned:
                raise SurveyError(CONTROL_MESSAGE)
        except SurveyError as problem:
            values[question.id], errors[name] = raw, str(problem)
    return values, errors


def _parse_one(question, raw):
    kind = question.kind
    if kind == "multiple":
        chosen = [value for value in raw if value in question.options]
        if len(chosen) != len(raw):
            raise SurveyError("Choose from the choices shown.")
        return list(dict.fromkeys(chosen)) or None  # each choice once, however often it was sent
    if raw == "":
        return None
    if kind == "single":
        if raw not in question.options:
            raise SurveyError("Choose one of the choices shown.")
        return raw
    if kind == "stage":
        if raw not in STAGE_KEYS:
            raise SurveyError("Choose one of the stages shown.")
        return raw
    if kind == "scale":
        if raw not in {str(n) for n in SCALE}:
            raise SurveyError("Choose a number from 1 to 5.")
        return int(raw)
    if kind == "number":
        try:
            if "_" in raw:  # Python reads 1_0 as ten; people do not
                raise ValueError(raw)
            number = float(raw.replace(",", ""))
        except ValueError:
            raise SurveyError("Enter a number, such as 12 or 3.5.") from None
        if not -1e9 < number < 1e9:
            raise SurveyError("Enter a number between -1,000,000,000 and 1,000,000,000.")
        return int(number) if number.is_integer() else number
    limit = MAX_TEXT[kind]
    if len(raw) > limit:
        raise SurveyError(f"Keep this answer under {limit:,} characters (it has {len(raw):,}).")
    return raw


def save_answers(response, user, formdata, submit=False, confirmed=False, survey_round=None, shown=None):
    """Save a draft (or submit) of a response; raises AnswersInvalid and stores nothing when refused.

    `response` None: the first answers to `survey_round`, which begin the response only once they
    are accepted. Free-text answers pass the confidentiality guard: a Social Security number is
    refused, other client-looking text needs the person's confirmation that it is not client data.
    `shown` (`inputs.shown_json` of the answers the page showed when it was opened): only the answers this person changed
    are written, so a colleague's answer saved meanwhile stays.
    """
    if response is not None:
        survey_round = response.round
        if not can(user, "answer", response):
            raise NotAllowed("You cannot answer for this response.")
    elif not may_answer(survey_round, user):
        raise NotAllowed("You cannot answer this survey.")
    if not survey_round.accepts_answers():
        raise SurveyError("This round is closed; answers can no longer change.")
    survey = survey_round.survey
    values, errors = parse_answers(survey, formdata)
    if response is not None:
        current = response.values()
        changed = changed_since_shown(shown, values)  # names are the question ids, as text
        values = {question_id: value if str(question_id) in changed else current.get(question_id)
                  for question_id, value in values.items()}
    needs_confirmation = False
    for question in survey.questions:
        value = values.get(question.id)
        if question.kind in TEXT_KINDS and value:
            findings = guard.check(value)
            if guard.is_blocking(findings):
                errors[question.field_name] = ("This looks like a Social Security number. Never put one in "
                                               "a survey answer; remove it to continue.")
            elif findings and not confirmed:
                needs_confirmation = True
                labels = ", ".join(sorted({f.label for f in findings}))
                errors[question.field_name] = (f"This may contain {labels}. Remove client details, or tick "
                                               "“This is not client information” below.")
        # A submitted response stays complete: saving it again needs its required answers too.
        if ((submit or (response is not None and response.is_submitted)) and question.required
                and value in (None, "", [])):
            errors.setdefault(question.field_name, "Answer this question to submit."
                              if submit or response is None or not response.is_submitted
                              else "This response is submitted: keep an answer here.")
    if errors:
        raise AnswersInvalid(errors, needs_confirmation)
    if response is None:
        response = response_for(survey_round, user, create=True)
    existing = {answer.question_id: answer for answer in response.answers}
    for question in survey.questions:
        value = values.get(question.id)
        answer = existing.get(question.id)
        if answer is None and value is None:
            continue
        if answer is None:
            answer = Answer(response=response, question_id=question.id)
            db.session.add(answer)
        if answer.value != value:
            answer.value, answer.updated_by_id = value, user.id
    now = utcnow()
    response.updated_at, response.updated_by_id = now, user.id
    if submit and not response.is_submitted:
        response.status, response.submitted_at, response.submitted_by_id = SUBMITTED, now, user.id
    db.session.flush()
    return response


#: Rounds with their surveys, newest closing first; those open or closed by now, and those taking
#: answers now (the home page's, whose cost must not grow with every round closed); and a set of
#: rounds' responses by respondent: read on every member's home page, so built once and bound per call.
_ROUNDS = select(Round).join(Survey).options(contains_eager(Round.survey)).order_by(Round.closes_at.desc())
_STARTED_ROUNDS = _ROUNDS.where(Round.status.in_((OPEN, CLOSED)), Round.opens_at <= bindparam("now"))
_ANSWERABLE_ROUNDS = _ROUNDS.where(Round.status == OPEN, Round.opens_at <= bindparam("now"),
                                   Round.closes_at > bindparam("now"))
#: Each round with the response `respondent_key` names for the person (their county's for a
#: per-county survey, their own otherwise), or none: one statement for the rounds and responses.
_RESPONSE_KEY = case((Survey.is_per_county, bindparam("county_key")), else_=bindparam("person_key"))


def _with_responses(rounds):
    return rounds.add_columns(SurveyResponse).outerjoin(SurveyResponse, and_(
        SurveyResponse.round_id == Round.id, SurveyResponse.respondent_key == _RESPONSE_KEY))


_STARTED_ROUNDS_WITH_RESPONSES = _with_responses(_STARTED_ROUNDS)
_ANSWERABLE_ROUNDS_WITH_RESPONSES = _with_responses(_ANSWERABLE_ROUNDS)


def rounds_for(user, answerable_only=False):
    """Rounds this person may answer now or see the results of: [(round, their response or None)];
    for organizers, who answer none, the closed rounds (every round is in their organizer area).
    `answerable_only`: the rounds taking answers now (none for organizers)."""
    answers = answers_surveys(user)
    if not answers and (answerable_only or not can(user, "organize")):
        return []
    if not answers:
        rounds = db.session.scalars(_STARTED_ROUNDS, {"now": utcnow()}).all()
        return [(r, None) for r in rounds if r.is_closed]
    county_key, person_key = _keys_of(user)
    rows = db.session.execute(
        _ANSWERABLE_ROUNDS_WITH_RESPONSES if answerable_only else _STARTED_ROUNDS_WITH_RESPONSES,
        {"now": utcnow(), "county_key": county_key, "person_key": person_key})
    return [(survey_round, response) for survey_round, response in rows]


def progress(survey_round):
    """(invited, started, submitted) counts for the organizer's round page."""
    invited = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == survey_round.id))
    counts = dict(db.session.execute(
        select(SurveyResponse.status, func.count(SurveyResponse.id)).where(SurveyResponse.round_id == survey_round.id)
        .group_by(SurveyResponse.status)).all())
    return invited, counts.get(DRAFT, 0) + counts.get(SUBMITTED, 0), counts.get(SUBMITTED, 0)
