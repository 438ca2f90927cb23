"""Technical-assistance requests: asking, who sees what, triage e-mails, notes, resources, dashboard."""
from datetime import datetime, timedelta

import pytest

from community import jobs
from community.assistance import services
from community.assistance.models import AssistanceNote, AssistanceRequest
from community.extensions import db
from community.resources import services as library
from community.timeutil import utcnow
from tests.conftest import text_of

PASSWORD = "correct horse battery"


def commit():
    db.session.commit()
    jobs.run_ready()


class People:
    def __init__(self, make_user):
        self.organizer = make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org",
                                   county="Sacramento", program="cfpic")
        self.requester = make_user(name="Luis Ramirez", email="luis@fresno.example.gov", county="Fresno")
        self.colleague = make_user(name="Ana Soto", email="ana@fresno.example.gov", county="Fresno")
        self.elsewhere = make_user(name="James Chen", email="james@lacounty.example.gov", county="Los Angeles")


@pytest.fixture
def people(app, make_user):
    return People(make_user)


def _sign_in(client, person):
    assert client.post("/sign-in", data={"email": person.email, "password": PASSWORD}).status_code == 302


def _ask(people, **fields):
    request = services.ask_for_help(people.requester, services.Ask(**{
        "topic": "Identifying mutual cases from CalSAWS", "details": "Our monthly match misses late applicants.",
        "toolkit_area": "evaluation", "strategy": "identifying-mutual-cases", **fields}))
    commit()
    return request


def test_asking_tells_cfpic_once_and_the_county_sees_it_but_no_other_county(app, client, people, outbox):
    request = _ask(people)
    assert [m["To"] for m in outbox.messages()] == ["Renee Okafor <organizer@linkages.example.org>"]
    _sign_in(client, people.colleague)
    assert client.get(f"/assistance/{request.id}").status_code == 200
    assert "Identifying mutual cases" in client.get("/assistance/").get_data(as_text=True)
    other = app.test_client()
    _sign_in(other, people.elsewhere)
    assert other.get(f"/assistance/{request.id}").status_code == 404
    assert "Identifying mutual cases" not in other.get("/assistance/").get_data(as_text=True)
    assert other.get("/assistance/dashboard").status_code == 404


def test_the_ask_form_refuses_a_social_security_number_and_keeps_what_was_typed(client, people):
    _sign_in(client, people.requester)
    response = client.post("/assistance/new", data={
        "topic": "Help with a family", "details": "Mother's SSN is 123 45 6789, she needs childcare.",
        "urgency": "normal", "preferred_format": "call"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Social Security number" in page and "Help with a family" in page
    assert db.session.scalar(db.select(db.func.count(AssistanceRequest.id))) == 0


def test_client_looking_details_need_the_askers_confirmation(client, people):
    _sign_in(client, people.requester)
    data = {"topic": "Case review format", "details": "Like case number 2019-0044-5521-1234567 last month.",
            "urgency": "normal", "preferred_format": "call"}
    assert client.post("/assistance/new", data=data).status_code == 422
    assert client.post("/assistance/new", data={**data, "confirm_not_client_data": "y"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(AssistanceRequest.id))) == 1


def test_triage_e_mails_the_requester_once_per_change_and_records_the_first_response(people, outbox):
    request = _ask(people)
    outbox.clear()
    when = utcnow().replace(microsecond=0) + timedelta(days=4)
    services.triage(request, people.organizer, status="scheduled", assignee_id=people.organizer.id,
                    scheduled_at=when, meeting_link="https://meet.example.org/fresno")
    commit()
    services.triage(request, people.organizer, status="scheduled", assignee_id=people.organizer.id,
                    scheduled_at=when, meeting_link="https://meet.example.org/fresno")
    commit()
    sent = outbox.to("luis@fresno.example.gov")
    assert len(sent) == 1
    text = sent[0].get_body(preferencelist=("plain",)).get_content()
    assert "Status: Scheduled" in text and "Your CFPIC contact: Renee Okafor" in text
    assert "https://meet.example.org/fresno" in text
    invite = next(part for part in sent[0].walk() if part.get_filename() == "invite.ics")
    assert invite.get_param("method") == "REQUEST"
    ics = invite.get_payload(decode=True).decode()
    assert f"UID:assistance-{request.id}@community.test" in ics and "SEQUENCE:1" in ics
    assert "DTSTART;TZID=America/Los_Angeles:" in ics and "BEGIN:VTIMEZONE" in ics
    assert request.first_response_at is not None and request.sequence == 1


def test_an_unscheduled_call_is_cancelled_in_the_calendar_at_the_time_it_had(people, outbox):
    request = _ask(people)
    when = datetime(2027, 3, 9, 18, 30)  # 10:30 in California
    services.triage(request, people.organizer, status="scheduled", scheduled_at=when,
                    meeting_link="https://meet.example.org/fresno")
    commit()
    services.triage(request, people.organizer, status="in_progress", scheduled_at=None)
    commit()
    cancel = outbox.to("luis@fresno.example.gov")[-1]
    invite = next(part for part in cancel.walk() if part.get_filename() == "invite.ics")
    ics = invite.get_payload(decode=True).decode()
    assert invite.get_param("method") == "CANCEL" and "STATUS:CANCELLED" in ics and "SEQUENCE:2" in ics
    assert "DTSTART;TZID=America/Los_Angeles:20270309T103000" in ics


def test_members_cannot_triage_even_by_posting_the_form(client, people):
    request = _ask(people)
    _sign_in(client, people.requester)
    client.post(f"/assistance/{request.id}", data={"form": "triage", "triage-status": "resolved"})
    assert db.session.get(AssistanceRequest, request.id).status == "new"
    with pytest.raises(Exception, match="Only CFPIC organizers"):
        services.triage(request, people.requester, status="resolved")


def test_internal_notes_stay_with_cfpic_and_shared_notes_reach_the_county(app, client, people, outbox):
    request = _ask(people)
    services.add_note(request, people.organizer, "Internal: check the Kern match rules first.")
    services.add_note(request, people.organizer, "Kern runs a weekly match; notes attached.", shared=True)
    commit()
    _sign_in(client, people.colleague)
    page = client.get(f"/assistance/{request.id}").get_data(as_text=True)
    assert "Kern runs a weekly match" in page and "check the Kern match rules" not in page
    mails = outbox.to("luis@fresno.example.gov")
    assert len(mails) == 1 and "Kern runs a weekly match" in mails[0].get_body(("plain",)).get_content()
    assert db.session.scalar(db.select(db.func.count(AssistanceNote.id))) == 2


def test_notes_reach_only_people_who_may_still_read_the_request(app, people, make_user, outbox):
    """A former assignee (no longer CFPIC staff, or deactivated) hears nothing of the county's
    notes — the organizers do; a requester who moved to another county hears nothing either."""
    from community.accounts import services as accounts
    from community.accounts.models import County

    request = _ask(people)
    former = make_user(role="organizer", name="Priya Shah", email="priya@linkages.example.org")
    services.triage(request, people.organizer, status="in_progress", assignee_id=former.id)
    commit()
    admin = make_user(role="admin")
    accounts.change_role(admin, former, "member")
    commit()
    outbox.clear()
    services.add_note(request, people.colleague, "Fresno's match rules: weekly, by CalSAWS id.")
    commit()
    assert outbox.to("priya@linkages.example.org") == []
    assert "weekly, by CalSAWS id" in text_of(outbox.to("organizer@linkages.example.org")[-1])

    kern = db.session.scalar(db.select(County.id).where(County.name == "Kern"))
    accounts.change_county(admin, people.requester, kern)
    commit()
    outbox.clear()
    services.add_note(request, people.organizer, "Shared: the Kern rules are attached.", shared=True)
    commit()
    assert outbox.to("luis@fresno.example.gov") == []


def test_attached_resources_show_only_while_the_viewer_may_see_them(client, people):
    public = library.share_resource(people.organizer, library.ResourceDetails(
        title="Weekly mutual-case match protocol", doc_type="protocol", visibility="public",
        link_url="https://example.org/match"))
    commit()
    request = _ask(people)
    services.attach_resource(request, people.organizer, f"http://community.test/library/{public.id}")
    commit()
    with pytest.raises(services.AssistanceError):
        services.attach_resource(request, people.organizer, "https://evil.example/not-ours")
    _sign_in(client, people.requester)
    assert "Weekly mutual-case match protocol" in client.get(f"/assistance/{request.id}").get_data(as_text=True)
    library.delete_resource(public, people.organizer)
    commit()
    assert "Weekly mutual-case match protocol" not in client.get(f"/assistance/{request.id}").get_data(as_text=True)


def test_the_dashboard_measures_response_and_resolution_in_days(people):
    request = _ask(people)
    request.created_at = utcnow() - timedelta(days=10)
    services.triage(request, people.organizer, status="resolved", assignee_id=people.organizer.id)
    commit()
    _ask(people, topic="Budgeting a co-located counselor", toolkit_area="fiscal", strategy="co-location")
    shown = services.dashboard()
    assert shown.total == 2 and shown.open_count == 1
    assert round(shown.days_to_first_response) == 10 and round(shown.days_to_resolution) == 10
    assert dict(shown.asked_by_area) == {"Evaluation": 1, "Fiscal": 1}
    assert dict(shown.open_by_county) == {"Fresno County": 1}


def test_a_meeting_place_that_looks_like_client_data_is_refused(people):
    request = _ask(people)
    with pytest.raises(services.AssistanceError, match="join link or place looks like client data"):
        services.triage(request, people.organizer, status="scheduled", scheduled_at=utcnow() + timedelta(days=2),
                        meeting_link="At the home of client SSN 545-12-7789")


def test_a_triage_saved_from_an_older_page_keeps_what_another_organizer_scheduled(client, people, make_user):
    import html
    import re

    request = _ask(people)
    _sign_in(client, people.organizer)
    page = client.get(f"/assistance/{request.id}").get_data(as_text=True)
    shown = html.unescape(re.search(r'name="triage-shown"[^>]*value="([^"]*)"', page).group(1))
    colleague = make_user(role="organizer", name="Priya Shah", email="priya@linkages.example.org")
    when = datetime(2027, 3, 9, 18, 30)
    services.triage(request, colleague, status="scheduled", scheduled_at=when, meeting_link="https://meet.example.org/x")
    commit()
    response = client.post(f"/assistance/{request.id}", data={
        "form": "triage", "triage-status": "new", "triage-assignee_id": str(people.organizer.id),
        "triage-scheduled_at": "", "triage-meeting_link": "", "triage-shown": shown})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(AssistanceRequest, request.id)
    assert (saved.assignee_id, saved.scheduled_at, saved.status) == (people.organizer.id, when, "scheduled")
