"""Two colleagues of one county submitting the county's answers at the same moment, each twice (a
double click), through gunicorn on each database: one response, every answer once, no error page."""
from sqlalchemy import func, select

from community.extensions import db
from community.surveys.models import Answer, SurveyResponse
from tests.support.server import serve, session_cookie

from .conftest import answers_for


def test_simultaneous_submissions_of_one_countys_answers_make_one_response(app, people, county_round, tmp_path):
    survey = county_round.survey
    data = {**answers_for(survey, stage="initial", single="Signed", number="42"), "action": "submit"}
    cookies = [session_cookie(app, person) for person in (people.coordinator, people.colleague)]
    path = f"/surveys/rounds/{county_round.id}"
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", path, cookie, data) for cookie in cookies * 2])
    assert all(reply.status == 302 for reply in replies), [r.body[:300] for r in replies if r.status != 302]
    db.session.expire_all()
    (response,) = db.session.scalars(select(SurveyResponse).where(SurveyResponse.round_id == county_round.id)).all()
    assert response.is_submitted
    assert db.session.scalar(select(func.count()).select_from(Answer).where(Answer.response_id == response.id)) == 3
