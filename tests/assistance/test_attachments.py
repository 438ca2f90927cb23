"""Files attached to technical-assistance requests: the library's upload guards, participants-only
downloads, the confidentiality guard on their text, and search (SQLite with the folder store,
PostgreSQL with the database store)."""
import io

import pytest

from community import jobs
from community.assistance.models import AssistanceAttachment, AssistanceRequest
from community.extensions import db
from community.permissions import access_filter
from community.resources import files
from community.resources.demo import make_pdf
from community.search import backend as site_search

from .conftest import county_people

PASSWORD = "correct horse battery"
FILE_WORD = "pellucidor"
ASK = {"topic": "Joint case review protocol", "details": "Our draft is attached.", "urgency": "normal",
       "preferred_format": "documents"}


@pytest.fixture
def people(app, make_user):
    return county_people(make_user, "member")


def _client(app, person=None):
    client = app.test_client()
    if person is not None:
        assert client.post("/sign-in", data={"email": person.email, "password": PASSWORD}).status_code == 302
    return client


def _ask_with(app, people, data, name):
    client = _client(app, people.requester)
    response = client.post("/assistance/new", data={**ASK, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    jobs.run_ready()
    return response


def _only_attachment():
    return db.session.scalars(db.select(AssistanceAttachment)).one()


def test_a_file_sent_with_the_request_reaches_its_participants_and_nobody_else(app, people):
    pdf = make_pdf("Joint case review", [f"Step one: the {FILE_WORD} checklist."])
    assert _ask_with(app, people, pdf, "review draft.pdf").status_code == 302
    attachment = _only_attachment()
    assert attachment.content_type == "application/pdf" and attachment.size == len(pdf)
    assert files.store().exists(attachment.stored_name) and attachment.stored_name != "review draft.pdf"
    url = f"/assistance/{attachment.request_id}/files/{attachment.id}"
    for who in (people.requester, people.colleague, people.organizer):
        response = _client(app, who).get(url)
        assert response.status_code == 200 and response.data == pdf, who.name
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "review draft.pdf" in _client(app, who).get(f"/assistance/{attachment.request_id}").get_data(as_text=True)
    for who in (people.elsewhere, people.cluster_mate, None):
        assert _client(app, who).get(url).status_code == 404
    assert _client(app, people.requester).get(f"/assistance/{attachment.request_id}/files/{attachment.id + 1}"
                                              ).status_code == 404


def test_a_files_text_is_found_in_search_by_participants_only(app, people):
    _ask_with(app, people, make_pdf("Joint case review", [f"Step one: the {FILE_WORD} checklist."]), "review.pdf")
    assert _only_attachment().extraction_state == "searchable"
    for who in (people.requester, people.colleague, people.organizer):
        assert site_search.search(access_filter(who), FILE_WORD).total == 1, who.name
    for who in (people.elsewhere, people.cluster_mate):
        assert site_search.search(access_filter(who), FILE_WORD).total == 0, who.name


def test_a_file_whose_bytes_are_not_what_its_name_says_is_refused_and_nothing_is_kept(app, people):
    response = _ask_with(app, people, b"#!/bin/sh\necho not a pdf\n", "protocol.pdf")
    assert response.status_code == 422 and "PDF" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AssistanceRequest.id))) == 0
    assert db.session.scalar(db.select(db.func.count(AssistanceAttachment.id))) == 0


def test_a_file_named_with_client_data_is_refused_before_anything_is_kept(app, people):
    response = _ask_with(app, people, b"Weekly match notes.\n", "Garcia_545-12-7789_case_notes.txt")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Rename the file" in page and "545-12-7789" not in page
    assert db.session.scalar(db.select(db.func.count(AssistanceRequest.id))) == 0
    assert db.session.scalar(db.select(db.func.count(AssistanceAttachment.id))) == 0


def test_a_file_larger_than_the_site_accepts_is_refused(app, people):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = _ask_with(app, people, b"a" * 9_000 + b"\n" + b"b" * 2_000, "notes.txt")
    assert response.status_code in (413, 422)
    assert db.session.scalar(db.select(db.func.count(AssistanceAttachment.id))) == 0


def test_a_file_with_a_social_security_number_is_held_and_cannot_be_released(app, people, outbox):
    _ask_with(app, people, b"Mother: SSN 123-45-6789, needs childcare.\n", "family.txt")
    attachment = _only_attachment()
    assert attachment.is_held and "Social Security" in attachment.held_reason
    told = [m for m in outbox.to(people.requester.email) if "held" in m["Subject"]]
    assert len(told) == 1
    parts = [told[0].get_body((kind,)).get_content() for kind in ("plain", "html")]
    assert all("family.txt" in part and "cannot be shared" in part and "6789" not in part for part in parts)
    url = f"/assistance/{attachment.request_id}/files/{attachment.id}"
    assert _client(app, people.colleague).get(url).status_code == 404
    assert _client(app, people.requester).get(url).status_code == 200
    assert _client(app, people.organizer).get(url).status_code == 200
    page = _client(app, people.requester).post(f"/assistance/{attachment.request_id}", data={
        "form": "release", "attachment": attachment.id}, follow_redirects=True).get_data(as_text=True)
    assert "cannot be released" in page
    assert db.session.get(AssistanceAttachment, attachment.id).is_held
    assert site_search.search(access_filter(people.organizer), "childcare").total == 0


def test_a_held_file_the_uploader_releases_reaches_colleagues_and_search(app, people):
    _ask_with(app, people, b"Call the family at 209-555-0147 about the childcare plan.\n", "plan.txt")
    attachment = _only_attachment()
    assert attachment.is_held
    url = f"/assistance/{attachment.request_id}/files/{attachment.id}"
    assert _client(app, people.colleague).post(f"/assistance/{attachment.request_id}", data={
        "form": "release", "attachment": attachment.id}).status_code == 404
    assert _client(app, people.requester).post(f"/assistance/{attachment.request_id}", data={
        "form": "release", "attachment": attachment.id}).status_code == 302
    jobs.run_ready()
    assert _client(app, people.colleague).get(url).status_code == 200
    assert site_search.search(access_filter(people.colleague), "childcare").total == 1


def test_participants_add_files_on_the_request_page(app, people):
    _ask_with(app, people, b"First draft.\n", "draft.txt")
    request_id = _only_attachment().request_id
    colleague = _client(app, people.colleague)
    response = colleague.post(f"/assistance/{request_id}", data={
        "form": "file", "file-file": (io.BytesIO(b"Second draft.\n"), "second.md")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert colleague.post(f"/assistance/{request_id}", data={"form": "file"}).status_code == 422
    other = _client(app, people.elsewhere).post(f"/assistance/{request_id}", data={
        "form": "file", "file-file": (io.BytesIO(b"Not yours.\n"), "x.txt")}, content_type="multipart/form-data")
    assert other.status_code == 404
    names = db.session.scalars(db.select(AssistanceAttachment.original_name).order_by(AssistanceAttachment.id)).all()
    assert names == ["draft.txt", "second.md"]


def test_a_file_not_yet_checked_by_the_guard_opens_only_for_its_uploader_and_cfpic(app, people):
    _ask_with(app, people, b"Agenda for the joint case review.\n", "agenda.txt")
    attachment = _only_attachment()
    attachment.extraction_state = "pending"  # as it is between the upload and the job
    db.session.commit()
    url = f"/assistance/{attachment.request_id}/files/{attachment.id}"
    assert _client(app, people.colleague).get(url).status_code == 404
    page = _client(app, people.colleague).get(f"/assistance/{attachment.request_id}").get_data(as_text=True)
    assert "Being checked for client information" in page
    assert _client(app, people.requester).get(url).status_code == 200
    assert _client(app, people.organizer).get(url).status_code == 200
    attachment.extraction_state = "searchable"  # the job ran and found nothing
    db.session.commit()
    assert _client(app, people.colleague).get(url).status_code == 200


def test_the_same_request_sent_again_with_a_file_or_other_choices_loses_nothing(app, people):
    """Sent again within minutes: the same topic and details with a file adds the file to the
    request already made (a double click with a file adds it once); other choices are a request
    of their own."""
    client = _client(app, people.requester)
    first = client.post("/assistance/new", data=ASK, content_type="multipart/form-data")
    pdf = make_pdf("Fiscal plan", ["How others braid the CalWORKs single allocation."])
    for _ in range(2):
        again = client.post("/assistance/new", data={**ASK, "file": (io.BytesIO(pdf), "plan.pdf")},
                            content_type="multipart/form-data")
        assert again.headers["Location"] == first.headers["Location"]
    jobs.run_ready()
    request = db.session.scalars(db.select(AssistanceRequest)).one()
    assert [a.original_name for a in request.attachments] == ["plan.pdf"]
    urgent = client.post("/assistance/new", data={**ASK, "urgency": "urgent"},
                         content_type="multipart/form-data")
    assert urgent.status_code == 302 and urgent.headers["Location"] != first.headers["Location"]
    assert [r.urgency for r in db.session.scalars(db.select(AssistanceRequest)
                                                  .order_by(AssistanceRequest.id))] == ["normal", "urgent"]
