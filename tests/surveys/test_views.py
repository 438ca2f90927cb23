"""Survey pages: answering as county staff, the personal link, results, and the organizer area."""
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from community.extensions import db
from community.surveys import services
from community.surveys.models import Answer, Question, Survey, SurveyResponse
from community.timeutil import utcnow

from tests.support.queries import count_queries

from .conftest import answers_for, build_survey, commit

PASSWORD = "correct horse battery"


def _sign_in(client, person):
    response = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302


def _rows():
    return {model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Survey, Question, SurveyResponse, Answer)}


def test_a_coordinator_saves_then_submits_and_typed_answers_survive_a_refusal(client, people, county_round):
    survey = county_round.survey
    _sign_in(client, people.coordinator)
    page = client.get(f"/surveys/rounds/{county_round.id}").get_data(as_text=True)
    assert "answering for Stanislaus County" in page and "Which stage are you in?" in page

    saved = client.post(f"/surveys/rounds/{county_round.id}",
                        data={**answers_for(survey, number="17", long_text="Co-location helped."), "action": "save"})
    assert saved.status_code == 302

    refused = client.post(f"/surveys/rounds/{county_round.id}",
                          data={**answers_for(survey, number="18", long_text="Co-location helped a lot."),
                                "action": "submit"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Answer this question to submit." in body
    assert 'value="18"' in body and "Co-location helped a lot." in body
    response = db.session.scalar(db.select(SurveyResponse))
    assert not response.is_submitted and response.values()[survey.questions[4].id] == 17

    done = client.post(f"/surveys/rounds/{county_round.id}",
                       data={**answers_for(survey, stage="full", single="Signed", number="18"), "action": "submit"})
    assert done.status_code == 302
    assert db.session.scalar(db.select(SurveyResponse)).is_submitted


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_cfpic_staff_whose_account_names_a_county_never_answer_for_it(client, people, county_round, make_user, role):
    """Organizers run the rounds; the county their account names (CFPIC's own office) is not a
    county they answer for: no waiting round, no answer page, nothing stored by a post."""
    staff = people.organizer if role == "organizer" else make_user(
        role="admin", email="admin@linkages.example.org", county="Stanislaus", program="cfpic")
    if role == "organizer":  # the organizer's account names Sacramento; make it a county with a round to answer
        staff.county_id = people.coordinator.county_id
        commit()
    before = _rows()
    _sign_in(client, staff)
    assert "Which stage are you in?" not in client.get("/").get_data(as_text=True)
    assert f"/surveys/rounds/{county_round.id}" not in client.get("/surveys/").get_data(as_text=True)
    assert client.get(f"/surveys/rounds/{county_round.id}").status_code == 404
    posted = client.post(f"/surveys/rounds/{county_round.id}",
                         data={**answers_for(county_round.survey, number="3"), "action": "submit"})
    assert posted.status_code == 404 and _rows() == before
    with pytest.raises(services.NotAllowed):
        services.save_answers(None, staff, MultiDict(answers_for(county_round.survey, number="3")),
                              submit=True, survey_round=county_round)
    db.session.rollback()
    assert _rows() == before
    # and still find the results of a closed round on the surveys page
    services.close_round(county_round, people.organizer)
    commit()
    assert f"/surveys/rounds/{county_round.id}/results" in client.get("/surveys/").get_data(as_text=True)
    # the county's own staff still answer
    client.post("/sign-out")
    _sign_in(client, people.coordinator)
    assert client.get(f"/surveys/rounds/{county_round.id}").status_code == 200


def test_a_refused_answer_comes_back_as_typed_with_its_message(client, people, county_round):
    survey = county_round.survey
    _sign_in(client, people.coordinator)
    long_answer = "Joint case reviews every month. " * 200  # 6,400 characters: over the limit
    refused = client.post(f"/surveys/rounds/{county_round.id}", data={
        **answers_for(survey, number="a dozen", long_text=long_answer), "action": "save"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Keep this answer under 5,000 characters" in page and long_answer.strip() in page
    assert "Enter a number, such as 12 or 3.5." in page and 'value="a dozen"' in page
    with_nul = client.post(f"/surveys/rounds/{county_round.id}", data={
        **answers_for(survey, long_text="Co-location\x00 helped."), "action": "save"})
    page = with_nul.get_data(as_text=True)
    assert with_nul.status_code == 422 and "invisible control characters" in page
    assert "Co-location helped." in page


def test_a_first_answer_refused_stores_no_response_at_all(client, people, county_round):
    survey = county_round.survey
    _sign_in(client, people.coordinator)
    before = _rows()
    refused = client.post(f"/surveys/rounds/{county_round.id}",
                          data={**answers_for(survey, number="not a number", long_text="<script>x</script>"),
                                "action": "submit"})
    assert refused.status_code == 422
    assert "&lt;script&gt;x&lt;/script&gt;" in refused.get_data(as_text=True)  # kept as typed, escaped
    db.session.expire_all()
    assert _rows() == before


def test_the_personal_link_opens_the_survey_only_for_its_owner(app, client, people, county_round, outbox):
    message = next(m for m in outbox.messages() if "maria@stanislaus.example.gov" in m["To"])
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://community\.test(/surveys/i/\S+)", body).group(1)
    anonymous = client.get(link)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    _sign_in(client, people.coordinator)
    assert client.get(link).headers["Location"].endswith(f"/surveys/rounds/{county_round.id}")
    other = app.test_client()
    _sign_in(other, people.colleague)
    assert other.get(link).status_code == 404
    assert other.get(link[:-3] + "abc").status_code == 404


def test_members_see_results_only_after_the_round_closes_and_never_written_answers(client, people, county_round):
    _sign_in(client, people.coordinator)
    assert client.get(f"/surveys/rounds/{county_round.id}/results").status_code == 404
    services.close_round(county_round, people.organizer)
    commit()
    page = client.get(f"/surveys/rounds/{county_round.id}/results")
    assert page.status_code == 200 and "fewer than 5" in page.get_data(as_text=True).lower()
    assert client.get(f"/surveys/rounds/{county_round.id}/results.csv").status_code == 403


def _organizer_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("surveys_manage."):
            values = {arg: 1 for arg in rule.arguments}
            if "action" in rule.arguments:
                values["action"] = "delete" if "question" in rule.endpoint else "close"
            yield rule, values


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_nobody_but_organizers_reaches_any_organizer_survey_page(app, client, people, county_round, who):
    if who == "member":
        _sign_in(client, people.coordinator)
    before = _rows()
    for rule, values in _organizer_rules(app):
        with app.test_request_context():
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"title": "x", "form": "details", "name": "x"})
            expected = {302} if who == "anonymous" else {404}
            assert response.status_code in expected, (method, url, response.status_code)
    assert _rows() == before


def test_an_organizer_builds_a_survey_through_the_pages_and_a_bad_question_keeps_what_was_typed(client, people):
    _sign_in(client, people.organizer)
    made = client.post("/surveys/manage/", data={"title": "Organizational change", "description": "",
                                                 "audience": "county"})
    assert made.status_code == 302
    survey = db.session.scalar(db.select(Survey))
    bad = client.post(f"/surveys/manage/{survey.id}", data={
        "form": "question", "prompt": "Is there a written MOU?", "kind": "single", "options": "Only one",
        "section_id": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "at least two choices" in text and "Is there a written MOU?" in text
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0
    good = client.post(f"/surveys/manage/{survey.id}", data={
        "form": "question", "prompt": "Is there a written MOU?", "kind": "single", "options": "Yes\nNo",
        "section_id": "0", "required": "y"})
    assert good.status_code == 302
    assert [q.options for q in db.session.scalars(db.select(Question))] == [["Yes", "No"]]
    preview = client.get(f"/surveys/manage/{survey.id}/preview").get_data(as_text=True)
    assert "Preview: this is what respondents see" in preview and "Is there a written MOU?" in preview


def test_the_results_page_draws_the_county_map_with_a_table_beside_it(client, people, make_user):
    survey = build_survey(people.organizer)
    survey_round = services.create_round(survey, people.organizer, "Spring", utcnow() - timedelta(hours=1),
                                         utcnow() + timedelta(days=3))
    services.open_round(survey_round, people.organizer)
    commit()
    for county in ("Kern", "Fresno", "Tulare", "Merced", "Madera"):
        person = make_user(email=f"coord@{county.lower()}.example.gov", county=county, title="Linkages Coordinator")
        response = services.response_for(survey_round, person, create=True)
        services.save_answers(response, person, MultiDict(answers_for(survey, stage="initial", single="Signed")),
                              submit=True)
        commit()
    _sign_in(client, people.organizer)
    page = client.get(f"/surveys/rounds/{survey_round.id}/results").get_data(as_text=True)
    county_map = page[page.index('<svg class="county-map"'):]
    assert county_map[:county_map.index("</svg>")].count("<path ") == 58
    assert "<title>Kern: Initial implementation</title>" in page
    assert "<th scope=\"row\">Madera</th><td>Initial implementation</td>" in page
    assert "Fewer than 5 responses" not in page


def test_the_home_section_reads_rounds_with_their_surveys_and_responses_in_one_query_however_many_are_open(
        client, people):
    def open_rounds(count):
        for n in range(count):
            survey = build_survey(people.organizer)
            survey_round = services.create_round(survey, people.organizer, f"Round {n}",
                                                 utcnow() - timedelta(hours=1), utcnow() + timedelta(days=5))
            services.open_round(survey_round, people.organizer)
        commit()

    def survey_queries():
        with count_queries() as statements:
            page = client.get("/").get_data(as_text=True)
        return page, [s for s in statements if "survey" in s]

    _sign_in(client, people.coordinator)
    open_rounds(1)
    page, few = survey_queries()
    open_rounds(3)
    page, many = survey_queries()
    assert page.count("Linkages implementation status") == 4
    assert len(few) == len(many) == 1  # the rounds with their surveys and this person's responses


def test_a_closed_rounds_results_never_compare_with_a_round_still_open(client, people, county_round, make_user):
    """Results of an open round are for organizers only; a closed round's page compares with an
    earlier round only once that one is closed too."""
    from datetime import timedelta

    from werkzeug.datastructures import MultiDict

    from community.timeutil import utcnow

    survey = county_round.survey
    later = services.create_round(survey, people.organizer, "Summer 2027",
                                  utcnow() - timedelta(minutes=30), utcnow() + timedelta(days=1))
    services.open_round(later, people.organizer)
    commit()
    for county in ("Fresno", "Kern", "Placer", "Tulare", "Yolo"):
        person = make_user(county=county, program="linkages")
        for survey_round in (county_round, later):
            response = services.response_for(survey_round, person, create=True)
            services.save_answers(response, person, MultiDict(answers_for(
                survey, stage="initial", single="Signed", number="3")), submit=True)
    commit()
    services.close_round(later, people.organizer)
    commit()
    assert not county_round.is_closed  # the earlier round is still open
    _sign_in(client, people.coordinator)
    page = client.get(f"/surveys/rounds/{later.id}/results").get_data(as_text=True)
    assert "Change since" not in page
    services.close_round(county_round, people.organizer)
    commit()
    page = client.get(f"/surveys/rounds/{later.id}/results").get_data(as_text=True)
    assert "Change since Spring 2027" in page


def test_answers_saved_from_an_older_page_keep_what_a_colleague_saved_meanwhile(client, people, county_round):
    import html
    import re

    from werkzeug.datastructures import MultiDict

    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    services.save_answers(response, people.coordinator, MultiDict(answers_for(
        survey, number="17", long_text="Co-location helped.")))
    commit()
    _sign_in(client, people.coordinator)
    page = client.get(f"/surveys/rounds/{county_round.id}").get_data(as_text=True)
    shown = html.unescape(re.search(r'name="shown" value="([^"]*)"', page).group(1))
    services.save_answers(response, people.colleague, MultiDict(answers_for(
        survey, number="17", long_text="Co-location and joint case reviews helped.")))
    commit()
    saved = client.post(f"/surveys/rounds/{county_round.id}", data={
        **answers_for(survey, number="18", long_text="Co-location helped."), "action": "save", "shown": shown})
    assert saved.status_code == 302
    db.session.expire_all()
    values = db.session.get(SurveyResponse, response.id).values()
    assert values[survey.questions[4].id] == 18
    assert values[survey.questions[5].id] == "Co-location and joint case reviews helped."


@pytest.mark.parametrize("shown", ["[" * 5000, '{"a":' * 5000 + "1" + "}" * 5000, "not json", "[]"],
                         ids=["deep-list", "deep-object", "not-json", "a-list"])
def test_a_tampered_shown_field_saves_every_answer_as_a_page_without_it(client, people, county_round, shown):
    survey = county_round.survey
    response = services.response_for(county_round, people.coordinator, create=True)
    commit()
    _sign_in(client, people.coordinator)
    saved = client.post(f"/surveys/rounds/{county_round.id}", data={
        **answers_for(survey, number="18", long_text="Co-location helped."), "action": "save", "shown": shown})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(SurveyResponse, response.id).values()[survey.questions[4].id] == 18


def test_the_home_section_lists_only_the_rounds_taking_answers_now(client, people):
    """Open rounds within their dates, not yet submitted; never a closed round, one whose closing
    time has passed, one not yet open, or one this county already submitted."""
    now = utcnow()
    times = {"open": (now - timedelta(hours=1), now + timedelta(days=5)),
             "closed": (now - timedelta(days=9), now + timedelta(days=5)),
             "past its closing": (now - timedelta(days=9), now - timedelta(minutes=1)),
             "not yet open": (now + timedelta(days=1), now + timedelta(days=5)),
             "submitted": (now - timedelta(hours=1), now + timedelta(days=5))}
    for name, (opens_at, closes_at) in times.items():
        survey = build_survey(people.organizer)
        survey.title = f"Survey {name}"
        survey_round = services.create_round(survey, people.organizer, name, now - timedelta(hours=2), now + timedelta(days=5))
        services.open_round(survey_round, people.organizer)
        if name == "closed":
            services.close_round(survey_round, people.organizer)
        if name == "submitted":
            response = services.response_for(survey_round, people.coordinator, create=True)
            services.save_answers(response, people.coordinator,
                                  MultiDict(answers_for(survey, stage="initial", single="Signed")), submit=True)
        survey_round.opens_at, survey_round.closes_at = opens_at, closes_at
    commit()
    _sign_in(client, people.coordinator)
    page = client.get("/").get_data(as_text=True)
    assert "Survey open" in page
    for name in ("closed", "past its closing", "not yet open", "submitted"):
        assert f"Survey {name}" not in page, name
