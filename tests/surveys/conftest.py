"""Survey fixtures: an organizer, county staff in two counties, a survey built through the services."""
from datetime import timedelta

import pytest

from community import jobs
from community.extensions import db
from community.surveys import services
from community.timeutil import utcnow


def commit():
    db.session.commit()
    jobs.run_ready()


class People:
    def __init__(self, make_user):
        self.organizer = make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org",
                                   county="Sacramento", program="cfpic", title="Program Coordinator, CFPIC")
        self.coordinator = make_user(name="Maria Lopez", email="maria@stanislaus.example.gov",
                                     county="Stanislaus", program="linkages", title="Linkages Coordinator")
        self.colleague = make_user(name="Ana Ruiz", email="ana@stanislaus.example.gov", county="Stanislaus",
                                   program="calworks", title="Employment Services Supervisor")
        self.other_county = make_user(name="James Chen", email="james@lacounty.example.gov",
                                      county="Los Angeles", program="cws", title="Supervisor")


@pytest.fixture
def people(app, make_user):
    return People(make_user)


def build_survey(organizer, audience="county"):
    survey = services.create_survey(organizer, "Linkages implementation status", "Where you are.", audience)
    section = services.add_section(survey, organizer, "Your approach")
    services.save_question(survey, organizer, kind="stage", prompt="Which stage are you in?", required=True,
                           section_id=section.id)
    services.save_question(survey, organizer, kind="single", prompt="Is there an MOU?", required=True,
                           options=["Signed", "In draft", "No"])
    services.save_question(survey, organizer, kind="multiple", prompt="Which strategies?",
                           options=["Joint case reviews", "Co-location", "Cross training"])
    services.save_question(survey, organizer, kind="scale", prompt="Leaders share goals.")
    services.save_question(survey, organizer, kind="number", prompt="Mutual families served?")
    services.save_question(survey, organizer, kind="long_text", prompt="What helped most?")
    return survey


@pytest.fixture
def county_round(people):
    survey = build_survey(people.organizer)
    survey_round = services.create_round(survey, people.organizer, "Spring 2027", utcnow() - timedelta(hours=1),
                                         utcnow() + timedelta(days=5))
    services.open_round(survey_round, people.organizer)
    commit()
    return survey_round


def answers_for(survey, **by_kind):
    """Form data answering each question of `survey` by its kind."""
    data = {}
    for question in survey.questions:
        if question.kind in by_kind:
            data[question.field_name] = by_kind[question.kind]
    return data
