"""Survey rules: building, rounds, answering, suppression and confidentiality, through the services."""
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from community.extensions import db
from community.permissions import NotAllowed
from community.surveys import results, services
from community.surveys.models import Answer, Question, SurveyResponse
from community.timeutil import utcnow

from .conftest import answers_for, build_survey, commit


def test_a_choice_question_needs_two_choices_and_nothing_is_added(people):
    survey = services.create_survey(people.organizer, "Organizational change")
    commit()
    with pytest.raises(services.SurveyError) as refused:
        services.save_question(survey, people.organizer, kind="single", prompt="MOU?", options=["Only one"])
    assert refused.value.field == "options"
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0


def test_members_cannot_build_surveys(people):
    with pytest.raises(NotAllowed):
        services.create_survey(people.coordinator, "Mine")


def test_a_round_must_close_after_it_opens(people):
    survey = build_survey(people.organizer)
    with pytest.raises(services.SurveyError) as refused:
        services.create_round(survey, people.organizer, "Spring", utcnow(), utcnow() - timedelta(days=1))
    assert refused.value.field == "closes_at"


def test_opening_a_round_invites_each_countys_linkages_coordinator_once(people, outbox, county_round):
    invited = [m["To"] for m in outbox.messages()]
    assert any("maria@stanislaus.example.gov" in to for to in invited)
    assert not any("ana@stanislaus.example.gov" in to for to in invited)  # her coordinator answers
    assert any("james@lacounty.example.gov" in to for to in invited)  # no coordinator: all staff
    assert not any("organizer@" in to for to in invited)
    assert services.invite(county_round) == 0
    commit()
    assert len(outbox.messages()) == len(invited)


def test_colleagues_build_one_county_response_and_the_required_answers_gate_submission(people, county_round):
    survey = county_round.survey
    draft = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(draft, people.coordinator, MultiDict(answers_for(survey, number="42")))
    commit()
    shared = services.response_for(county_round, people.colleague)
    assert shared.id == draft.id and shared.values()[survey.questions[4].id] == 42

    with pytest.raises(services.AnswersInvalid) as refused:
        services.save_answers(shared, people.colleague, MultiDict(answers_for(survey, number="42")), submit=True)
    assert set(refused.value.errors) == {survey.questions[0].field_name, survey.questions[1].field_name}
    db.session.rollback()

    services.save_answers(shared, people.colleague, MultiDict(answers_for(
        survey, stage="initial", single="Signed", number="42")), submit=True)
    commit()
    assert shared.is_submitted and shared.submitted_by_id == people.colleague.id
    assert services.response_for(county_round, people.other_county) is None


def test_another_countys_staff_cannot_write_into_a_county_response(people, county_round):
    response = services.response_for(county_round, people.coordinator, create=True)
    commit()
    with pytest.raises(NotAllowed):
        services.save_answers(response, people.other_county, MultiDict({}))


def test_answers_can_change_until_the_round_closes_and_not_after(people, county_round):
    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, stage="planning",
                                                                              single="No")), submit=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, stage="initial",
                                                                              single="No")), submit=True)
    commit()
    assert response.values()[survey.questions[0].id] == "initial"
    services.close_round(county_round, people.organizer)
    commit()
    with pytest.raises(services.SurveyError):
        services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, stage="full",
                                                                                  single="No")))


@pytest.mark.parametrize("kind, value, message", [
    ("single", "Maybe", "Choose one of the choices shown."),
    ("stage", "done", "Choose one of the stages shown."),
    ("scale", "6", "Choose a number from 1 to 5."),
    ("number", "lots", "Enter a number"),
    ("number", "1e99", "Enter a number between"),
])
def test_answers_outside_the_question_are_refused_with_a_clear_message(people, county_round, kind, value, message):
    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    with pytest.raises(services.AnswersInvalid) as refused:
        services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, **{kind: value})))
    assert any(message in text for text in refused.value.errors.values())
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0


def test_a_social_security_number_in_a_written_answer_is_refused_even_when_confirmed(people, county_round):
    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    with pytest.raises(services.AnswersInvalid) as refused:
        services.save_answers(response, people.coordinator, MultiDict(answers_for(
            survey, long_text="The mother, SSN 123-45-6789, finished her plan.")), confirmed=True)
    assert "Social Security number" in refused.value.errors[survey.questions[5].field_name]


def test_a_case_number_in_a_written_answer_needs_the_persons_confirmation(people, county_round):
    survey = county_round.survey
    text = "We staffed it at the TDM, case number 2019-0044-5521-1234567."
    response = services.response_for(county_round, people.coordinator, create=True)
    with pytest.raises(services.AnswersInvalid) as refused:
        services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, long_text=text)))
    assert refused.value.needs_confirmation
    db.session.rollback()
    response = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, long_text=text)),
                          confirmed=True)
    commit()
    assert response.values()[survey.questions[5].id] == text


def _individual_round(people, make_user, respondents):
    survey = build_survey(people.organizer, audience="individual")
    survey_round = services.create_round(survey, people.organizer, "Frontline 2027", utcnow() - timedelta(hours=1),
                                         utcnow() + timedelta(days=5))
    services.open_round(survey_round, people.organizer)
    commit()
    for n in range(respondents):
        person = make_user(name=f"Worker {n}", email=f"worker{n}@kern.example.gov", county="Kern")
        response = services.response_for(survey_round, person, create=True)
        services.save_answers(response, person, MultiDict(answers_for(
            survey, stage="initial", single="Signed", scale=str(1 + n % 5), long_text=f"Barrier number {n}")),
            submit=True)
        commit()
    return survey_round


def test_fewer_than_five_individual_answers_show_no_figures_anywhere(people, make_user):
    survey_round = _individual_round(people, make_user, 4)
    shown = results.round_results(survey_round, people.organizer)
    assert shown.suppressed and shown.respondents == 4
    assert all(r.suppressed and not r.bars and not r.texts and r.mean is None for r in shown.questions)
    csv_text = results.results_csv(shown)
    assert "fewer than 5" in csv_text and "Signed" not in csv_text


def test_five_individual_answers_show_totals_without_names_and_text_only_to_organizers(people, make_user):
    survey_round = _individual_round(people, make_user, 5)
    shown = results.round_results(survey_round, people.organizer)
    assert not shown.suppressed
    single = next(r for r in shown.questions if r.question.kind == "single")
    assert [(b.label, b.count) for b in single.bars] == [("Signed", 5), ("In draft", 0), ("No", 0)]
    text = next(r for r in shown.questions if r.question.kind == "long_text")
    assert text.texts == sorted(f"Barrier number {n}" for n in range(5))
    as_member = results.round_results(survey_round, people.coordinator)
    assert next(r for r in as_member.questions if r.question.kind == "long_text").texts == []


def test_a_breakdown_by_county_is_suppressed_when_the_county_group_is_small(people, make_user):
    survey_round = _individual_round(people, make_user, 5)
    stanislaus = people.coordinator.county_id
    response = services.response_for(survey_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(
        survey_round.survey, stage="full", single="No")), submit=True)
    commit()
    assert results.round_results(survey_round, people.organizer, county_id=stanislaus).suppressed


def test_an_individual_response_is_never_readable_by_organizers_or_colleagues(people, make_user):
    from community.permissions import can

    _individual_round(people, make_user, 1)
    response = db.session.scalar(db.select(SurveyResponse))
    owner = db.session.get(type(people.organizer), response.user_id)
    assert can(owner, "view", response)
    assert not can(people.organizer, "view", response)
    assert not can(people.colleague, "view", response)


def test_reminders_go_once_and_never_to_a_county_that_submitted(people, outbox, county_round):
    survey = county_round.survey
    county_round.closes_at = utcnow() + timedelta(days=3)
    response = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(survey, stage="full", single="No")),
                          submit=True)
    commit()
    outbox.clear()
    assert services.send_reminders() == 1
    commit()
    assert services.send_reminders() == 0
    commit()
    reminded = [m["To"] for m in outbox.messages()]
    assert len(reminded) == 1 and "james@lacounty.example.gov" in reminded[0]


def test_the_stage_map_shows_each_submitted_countys_stage(people, county_round):
    survey = county_round.survey
    for person, stage in ((people.coordinator, "full"), (people.other_county, "planning")):
        response = services.response_for(county_round, person, create=True)
        services.save_answers(response, person, MultiDict(answers_for(survey, stage=stage, single="No")),
                              submit=person is people.coordinator)
    commit()
    assert results.stage_by_county(county_round) == {"Stanislaus": "full"}


def test_rounds_compare_in_percentage_points(people, make_user):
    first = _individual_round(people, make_user, 5)
    survey = first.survey
    second = services.create_round(survey, people.organizer, "Later", utcnow() - timedelta(minutes=30),
                                   utcnow() + timedelta(days=9))
    services.open_round(second, people.organizer)
    commit()
    for n in range(5):
        person = db.session.scalar(db.select(type(people.organizer)).where(
            type(people.organizer).email == f"worker{n}@kern.example.gov"))
        response = services.response_for(second, person, create=True)
        services.save_answers(response, person, MultiDict(answers_for(
            survey, stage="full", single="No" if n < 2 else "Signed")), submit=True)
        commit()
    changes = results.compare(results.round_results(first, people.organizer),
                              results.round_results(second, people.organizer))
    single = next(c for q, c, _, _ in changes if q.kind == "single")
    assert [(c.label, round(c.delta)) for c in single] == [("Signed", -40), ("In draft", 0), ("No", 40)]


def test_each_choice_counts_once_and_numbers_are_read_as_people_write_them(people, county_round):
    survey = county_round.survey
    multiple = next(q for q in survey.questions if q.kind == "multiple")
    number = next(q for q in survey.questions if q.kind == "number")
    values, errors = services.parse_answers(survey, MultiDict(
        [(multiple.field_name, "Co-location")] * 40 + [(number.field_name, "1_0")]))
    assert values[multiple.id] == ["Co-location"]
    assert number.field_name in errors


def test_a_submitted_response_keeps_its_required_answers(people, county_round):
    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(
        survey, stage="initial", single="Signed")), submit=True)
    commit()
    with pytest.raises(services.AnswersInvalid) as refused:
        services.save_answers(response, people.coordinator, MultiDict({}))  # "Save draft" with everything blank
    assert survey.questions[0].field_name in refused.value.errors
    db.session.rollback()
    assert response.is_submitted and response.values()[survey.questions[0].id] == "initial"


def test_a_choice_longer_than_a_label_is_refused_not_cut(people):
    survey = services.create_survey(people.organizer, "Organizational change")
    commit()
    same_start = "Our MOU names one contact in each agency and " + "x" * 200
    with pytest.raises(services.SurveyError) as refused:
        services.save_question(survey, people.organizer, kind="single", prompt="MOU?",
                               options=[same_start + " A", same_start + " B"])
    assert refused.value.field == "options" and "choice 1 is longer" in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0


def test_a_draft_round_neither_invites_nor_closes_and_invites_everyone_once_it_opens(people):
    survey = build_survey(people.organizer)
    draft = services.create_round(survey, people.organizer, "Spring 2027",
                                  utcnow() + timedelta(days=1), utcnow() + timedelta(days=30))
    commit()
    with pytest.raises(services.SurveyError, match="while the round is open"):
        services.invite(draft)
    with pytest.raises(services.SurveyError, match="Only an open round"):
        services.close_round(draft, people.organizer)
    db.session.rollback()
    assert services.open_round(draft, people.organizer) > 0


def test_each_round_comes_with_the_response_its_survey_asks_of_the_person_and_no_one_elses(people):
    """`rounds_for` reads the rounds and the person's responses in one statement: a per-county
    round with their county's response (a colleague's draft counts), an individual round with their
    own only — never another county's, nor a colleague's individual answer."""
    def open_round(audience, name):
        survey = build_survey(people.organizer, audience=audience)
        survey_round = services.create_round(survey, people.organizer, name, utcnow() - timedelta(hours=1),
                                             utcnow() + timedelta(days=5))
        services.open_round(survey_round, people.organizer)
        return survey_round

    county_round, county_untouched = open_round("county", "Spring 2027"), open_round("county", "Summer 2027")
    own_round, colleague_only = open_round("individual", "Staff 2027"), open_round("individual", "Staff 2028")
    commit()
    county_draft = services.response_for(county_round, people.colleague, create=True)
    services.response_for(county_untouched, people.other_county, create=True)
    own = services.response_for(own_round, people.coordinator, create=True)
    services.response_for(own_round, people.colleague, create=True)
    services.response_for(colleague_only, people.colleague, create=True)
    commit()
    expected = {county_round.id: county_draft.id, county_untouched.id: None, own_round.id: own.id,
                colleague_only.id: None}
    for answerable_only in (True, False):
        found = services.rounds_for(people.coordinator, answerable_only=answerable_only)
        assert {r.id: response.id if response else None for r, response in found} == expected
        assert [r.id for r, _ in found] == [r.id for r in sorted(
            (county_round, county_untouched, own_round, colleague_only), key=lambda r: r.closes_at, reverse=True)]
    assert {r.id: response for r, response in services.rounds_for(people.other_county)}[county_untouched.id] is not None
