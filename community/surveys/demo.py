"""Demo surveys: the three Linkages evaluation instruments, two closed rounds of plausible answers
from the Linkages counties, and an open round waiting for the demo counties' coordinators."""
import random
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import County, User
from ..core.demo import demo_user
from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import STRATEGIES
from .models import CLOSED, OPEN, SUBMITTED, Answer, Invitation, Question, Round, Survey, SurveyResponse, SurveySection

ORGANIZER = "organizer@linkages.example.org"
DEFINITIONS = ["Families with an open CWS case and CalWORKs aid", "Families with an open CWS referral or case "
               "and CalWORKs aid or Welfare-to-Work", "Any family known to both programs in the past year"]
MOU = ["Signed and in use", "Being drafted or renewed", "No written agreement yet"]
CONTACT = ["Every week", "Every month", "A few times a year", "Never"]
HELPED = [
    "Co-locating a CalWORKs employment counselor in the Family Reunification unit.",
    "Monthly joint case reviews between CWS supervisors and Welfare-to-Work staff.",
    "A shared release of information signed at the first Team Decision Meeting.",
    "Cross-training new social workers on Welfare-to-Work activities and exemptions.",
    "A weekly list of mutual cases matched from CWS/CMS and CalSAWS.",
    "Including CalWORKs staff in Family Group Conferencing.",
]
BARRIERS = [
    "Welfare-to-Work hours that conflict with court-ordered services.",
    "Sanction rules that do not account for reunification case plans.",
    "Not knowing who the family's CalWORKs worker is.",
    "Confidentiality rules that each program reads differently.",
    "Time limits running out while parents are in treatment.",
    "Childcare that ends when a child is placed out of the home.",
    "Housing support that cannot start until the case plan is approved.",
]


def _survey(title, description, audience, organizer, sections):
    survey = Survey(title=title, description=description, audience=audience, created_by_id=organizer.id)
    db.session.add(survey)
    position = 0
    for number, (heading, questions) in enumerate(sections, start=1):
        section_id = None
        if heading:
            section = SurveySection(survey=survey, title=heading, position=number)
            db.session.add(section)
            db.session.flush()
            section_id = section.id
        for kind, prompt, options, required in questions:
            position += 1
            question = Question(survey=survey, kind=kind, prompt=prompt, required=required, position=position,
                                section_id=section_id)
            question.options = options
            db.session.add(question)
    db.session.flush()
    return survey


def _round(survey, name, opened_days_ago, closes_in_days, status):
    now = utcnow()
    survey_round = Round(survey=survey, name=name, status=status, opens_at=now - timedelta(days=opened_days_ago),
                         closes_at=now + timedelta(days=closes_in_days), created_at=now - timedelta(days=opened_days_ago))
    db.session.add(survey_round)
    return survey_round


def _respond(survey_round, key, answers, county_id=None, user_id=None, respondent_county_id=None,
             status=SUBMITTED, by=None):
    response = SurveyResponse(round=survey_round, respondent_key=key, county_id=county_id, user_id=user_id,
                              respondent_county_id=respondent_county_id, status=status,
                              submitted_at=survey_round.opens_at + timedelta(days=9) if status == SUBMITTED else None,
                              submitted_by_id=by, updated_at=survey_round.opens_at + timedelta(days=8))
    db.session.add(response)
    for question, value in answers.items():
        if value not in (None, "", []):
            answer = Answer(response=response, question_id=question.id)
            answer.value = value
            db.session.add(answer)
    return response


def seed_surveys():
    organizer = demo_user(ORGANIZER)
    rng = random.Random(2027)
    counties = db.session.scalars(select(County).where(County.is_linkages.is_(True)).order_by(County.name)).all()
    staff = db.session.scalars(select(User).where(User.role == "member", User.county_id.is_not(None))
                               .order_by(User.id)).all()

    status_survey = _survey(
        "Linkages implementation status",
        "Where your county is with Linkages: how you define mutual families, which strategies are in place "
        "and what helped. One response per county, from the Linkages coordinator with colleagues' input.",
        "county", organizer, [
            ("Your county's approach", [
                ("stage", "Which stage best describes Linkages in your county today?", [], True),
                ("single", "How does your county define a mutual family?", DEFINITIONS, True),
                ("multiple", "Which Linkages strategies are in place?", [label for _, label in STRATEGIES], True)]),
            ("Reach and lessons", [
                ("number", "How many mutual families did your Linkages team serve last quarter?", [], False),
                ("long_text", "What helped your county most since the last round?", [], False)])])
    change_survey = _survey(
        "Organizational change",
        "How CWS and CalWORKs work together as organizations: shared goals, communication, data and money. "
        "Rate each statement from 1 (not at all) to 5 (completely).", "county", organizer, [
            (None, [
                ("scale", "CWS and CalWORKs leadership share goals for mutual families.", [], True),
                ("scale", "Staff in both programs know whom to call about a shared family.", [], True),
                ("scale", "Data on mutual cases is shared routinely.", [], True),
                ("scale", "Joint fiscal planning is part of the budget cycle.", [], True),
                ("single", "Is there a written agreement (MOU) between the two programs?", MOU, True)])])
    frontline_survey = _survey(
        "Frontline worker experience",
        "For CWS and CalWORKs workers: how coordination works with the families on your caseload. Answers are "
        "confidential and shown only in totals of five or more.", "individual", organizer, [
            (None, [
                ("scale", "I know which of my families are also served by the other program.", [], True),
                ("scale", "Coordinated case plans make families' requirements easier to meet.", [], True),
                ("single", "How often do you talk with your counterpart in the other program?", CONTACT, True),
                ("long_text", "Which policy gets in the way of serving mutual families most?", [], False)])])

    status_q, change_q, front_q = status_survey.questions, change_survey.questions, frontline_survey.questions
    stages = ["exploring", "planning", "initial", "full", "sustaining"]
    rounds = [("Fall 2025", 400, -340), ("Spring 2026", 220, -160)]
    for name, opened, closes in rounds:
        for survey in (status_survey, change_survey, frontline_survey):
            _round(survey, name, opened, closes, CLOSED)
        db.session.flush()
    for index, (name, _, _) in enumerate(rounds):
        status_round = next(r for r in status_survey.rounds if r.name == name)
        change_round = next(r for r in change_survey.rounds if r.name == name)
        front_round = next(r for r in frontline_survey.rounds if r.name == name)
        for county in counties:
            joined = county.linkages_since or 2010
            base = min(4, max(0, (2026 - joined) // 5)) + index  # longer in Linkages, further along
            stage = stages[min(4, max(0, base + rng.choice([-1, 0, 0, 1]) - 1))]
            strategies = rng.sample([label for _, label in STRATEGIES], k=min(8, 2 + stages.index(stage) + index))
            _respond(status_round, f"county:{county.id}", {
                status_q[0]: stage, status_q[1]: rng.choice(DEFINITIONS), status_q[2]: strategies,
                status_q[3]: rng.randint(12, 60) * (1 + stages.index(stage)), status_q[4]: rng.choice(HELPED)},
                county_id=county.id, respondent_county_id=county.id)
            level = 2 + stages.index(stage) // 2
            _respond(change_round, f"county:{county.id}", {
                **{q: max(1, min(5, level + rng.choice([-1, 0, 0, 1]))) for q in change_q[:4]},
                change_q[4]: MOU[0] if stages.index(stage) >= 3 else rng.choice(MOU)},
                county_id=county.id, respondent_county_id=county.id)
        for person in staff:
            _respond(front_round, f"person:{person.id}", {
                front_q[0]: rng.choice([2, 3, 3, 4, 4, 5]), front_q[1]: rng.choice([2, 3, 4, 4, 5]),
                front_q[2]: rng.choice(CONTACT[:3]), front_q[3]: rng.choice(BARRIERS)},
                user_id=person.id, respondent_county_id=person.county_id)

    # The current round is open: invitations went out, two counties are part-way, one has submitted.
    current = _round(status_survey, "Fall 2026", 12, 18, OPEN)
    db.session.flush()
    for person in staff:
        if "linkages" in (person.title or "").lower():
            db.session.add(Invitation(round=current, user_id=person.id, county_id=person.county_id,
                                      invited_at=current.opens_at))
    by_county = {p.county_id: p for p in staff}
    for n, (county_id, person) in enumerate(sorted(by_county.items())[:3]):
        _respond(current, f"county:{county_id}", {status_q[0]: "full", status_q[1]: DEFINITIONS[1]},
                 county_id=county_id, respondent_county_id=county_id, status=SUBMITTED if n == 0 else "draft",
                 by=person.id)
