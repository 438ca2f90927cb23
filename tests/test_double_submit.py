"""A form sent several times at the same moment — a double click, a retry, two people with one
name — through gunicorn with four workers, on each database: no error page, and one row for each
thing that must be one (the database's unique constraints refuse the rest; the request that lost
is answered again and takes the path for what exists: `errors._answer_again_after_a_conflict`).
"""
from sqlalchemy import func, select

from community.accounts.models import User
from community.extensions import db
from newsletters.models import Subscriber
from tests.support.server import serve, session_cookie


def test_account_requests_sent_twice_or_by_namesakes_are_each_kept_once(app, tmp_path):
    same = {"name": "Race Twin", "email": "race.twin@kern.example.gov", "program": "cws", "title": "Analyst"}
    namesakes = [{**same, "email": f"race.twin{n}@fresno.example.gov"} for n in range(3)]
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", "/request-account", "", data) for data in [same] * 4 + namesakes])
    assert all(reply.status < 500 for reply in replies), [r.body[:300] for r in replies if r.status >= 500]
    db.session.expire_all()
    people = db.session.scalars(select(User).where(User.name == "Race Twin")).all()
    assert sorted(p.email for p in people) == sorted({d["email"] for d in [same, *namesakes]})
    assert len({p.handle for p in people}) == 4


def test_a_newsletter_sign_up_sent_four_times_at_once_is_one_subscriber(app, tmp_path):
    data = {"email": "double.click@placer.example.gov", "name": "Dee Click"}
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", "/newsletter/subscribe", "", data)] * 4)
    assert all(reply.status < 500 for reply in replies), [r.body[:300] for r in replies if r.status >= 500]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Subscriber)
                             .where(Subscriber.email == data["email"])) == 1


def test_an_invitation_sent_four_times_at_once_invites_once(app, tmp_path, make_user):
    cookie = session_cookie(app, make_user(role="admin"))
    data = {"name": "Nia Park", "email": "nia@kern.example.gov", "role": "member", "county_id": "0",
            "program": "cws"}
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", "/admin/invite", cookie, data)] * 4)
    assert all(reply.status < 500 for reply in replies), [r.body[:300] for r in replies if r.status >= 500]
    db.session.expire_all()
    assert len(db.session.scalars(select(User).where(User.email == data["email"])).all()) == 1


def test_an_account_request_approved_by_two_admins_at_once_is_approved_once(app, tmp_path, make_user):
    from community import audit
    from community.accounts import services

    person = services.request_account("Dee Nguyen", "dee.nguyen@kern.example.gov", None, "cws", "Analyst")
    cookies = [session_cookie(app, make_user(role="admin")) for _ in range(2)]
    db.session.commit()
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", f"/admin/people/{person.id}/approve", cookie, {}) for cookie in cookies * 2]
                                 + [("POST", f"/admin/people/{person.id}/decline", cookies[0], {"reason": "x"})])
    assert all(reply.status < 500 for reply in replies), [r.body[:300] for r in replies if r.status >= 500]
    db.session.expire_all()
    decided = db.session.scalars(select(audit.AuditEntry).where(
        audit.AuditEntry.action.in_(("account.approve", "account.decline")))).all()
    assert len(decided) == 1


def test_asking_for_help_twice_at_once_makes_one_request(app, tmp_path, make_user):
    from community.assistance.models import AssistanceRequest

    cookie = session_cookie(app, make_user(county="Fresno"))
    data = {"topic": "Identifying mutual cases", "details": "Our match misses late applicants.",
            "urgency": "normal", "preferred_format": "call"}
    with serve(app, tmp_path) as server:
        replies = server.at_once([("POST", "/assistance/new", cookie, data)] * 3)
    assert all(reply.status < 500 for reply in replies), [r.body[:300] for r in replies if r.status >= 500]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AssistanceRequest)) == 1
