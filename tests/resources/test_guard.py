"""The confidentiality guard in the library: what people type, and the text of the files they upload."""
import io

import pytest

from sqlalchemy import func, select

from community import guard, jobs
from community.extensions import db
from community.resources import files
from community.resources.demo import make_pdf
from community.resources.models import Resource, ResourceVersion, ToolkitArea

from tests.conftest import text_of

from .conftest import share_form
from .test_views import make_resource, people  # noqa: F401  (fixture)


def _html(response):
    return response.get_data(as_text=True)


def _resources():
    return db.session.scalar(select(func.count()).select_from(Resource))


def _share(client, pdf, **fields):
    return client.post("/library/new", data={**share_form(**fields), "file": (io.BytesIO(pdf), "mou.pdf")},
                       content_type="multipart/form-data")


def test_a_file_named_with_an_ssn_is_refused_and_nothing_is_stored(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    response = client.post("/library/new", data={**share_form(), "confirm_not_client_data": "y",
                                                 "file": (io.BytesIO(pdf_bytes), "Garcia_545-12-7789.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "This cannot be saved" in _html(response)
    assert _resources() == 0


def test_an_ssn_in_a_resource_summary_is_refused_and_nothing_is_stored(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    response = _share(client, pdf_bytes, summary="Example: SSN 545 12 7789", confirm_not_client_data="y")
    page = _html(response)
    assert response.status_code == 422 and "This cannot be saved" in page
    assert "Summary: <mark>545 12 7789</mark>" in page and 'name="confirm_not_client_data"' not in page
    assert "Example: SSN 545 12 7789" in page and "choose the file again" in page
    assert _resources() == 0 and list(files.upload_dir().iterdir()) == []


def test_an_ssn_in_a_resource_title_or_tags_is_refused(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    assert "Title: <mark>" in _html(_share(client, pdf_bytes, title="MOU for 545-12-7789"))
    assert "Tags: <mark>" in _html(_share(client, pdf_bytes, tags="mou, ssn 545127789"))
    assert _resources() == 0


def test_a_case_number_in_a_title_asks_first_and_confirming_shares_it(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    page = _html(_share(client, pdf_bytes, title="Template used for case # 19-00345-B"))
    assert "Check this before it is saved" in page and 'name="confirm_not_client_data"' in page
    assert _resources() == 0
    response = _share(client, pdf_bytes, title="Template used for case # 19-00345-B",
                      confirm_not_client_data="y")
    assert response.status_code == 302
    assert db.session.scalar(select(Resource.title)) == "Template used for case # 19-00345-B"


def test_editing_a_description_to_add_a_childs_age_asks_first(client, sign_in, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes)
    sign_in(people["owner"])
    data = share_form(title=resource.title, summary="Written for Jayden Cruz (age 9).")
    page = _html(client.post(f"/library/{resource.id}/edit", data=data))
    assert "Check this before it is saved" in page
    db.session.refresh(resource)
    assert "Jayden" not in resource.summary


def test_a_version_note_with_an_ssn_is_refused(client, sign_in, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes)
    sign_in(people["owner"])
    page = _html(client.post(f"/library/{resource.id}/versions", data={
        "note": "Fixed 545-12-7789 typo", "file": (io.BytesIO(pdf_bytes), "v2.pdf"),
        "confirm_not_client_data": "y"}, content_type="multipart/form-data"))
    assert "This cannot be saved" in page
    assert db.session.scalar(select(func.count()).select_from(ResourceVersion)) == 1


def test_a_toolkit_introduction_is_guarded(client, sign_in, people):
    sign_in(people["organizer"])
    page = _html(client.post("/library/toolkit/definitional/manage", data={
        "action": "describe", "area-introduction": "Start with Marisol Vega, age 4."}))
    assert "Check this before it is saved" in page
    assert db.session.scalar(select(ToolkitArea.introduction)) in (None, "")


def _sign_in_as(client, sign_in, person):
    client.post("/sign-out")
    sign_in(person)


def _upload_with_client_data(client, people, line):
    pdf = make_pdf("Case staffing notes", ["Joint case staffing notes for the Linkages team.", line])
    client.post("/library/new", data={**share_form(title="Staffing notes", visibility="public"),
                                      "file": (io.BytesIO(pdf), "notes.pdf")},
                content_type="multipart/form-data")
    jobs.run_ready()
    return db.session.scalars(select(Resource)).one()


def test_a_file_whose_text_holds_client_data_is_held_and_its_uploader_warned(
        client, sign_in, people, outbox):
    sign_in(people["owner"])
    resource = _upload_with_client_data(client, people, "Youngest child DOB 04/12/2016, placed with grandma.")
    version = resource.current_version
    assert version.is_held and version.held_reason == "a date of birth"
    (message,) = outbox.to(people["owner"].email)
    assert "held" in message["Subject"] and "a date of birth" in text_of(message)
    assert "04/12/2016" not in text_of(message)  # the warning never repeats the data
    page = _html(client.get(f"/library/{resource.id}"))
    assert "This file is held" in page and "<mark>DOB 04/12/2016</mark>" in page
    assert client.get(f"/library/{resource.id}/download").status_code == 200  # the uploader checks it
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 404
    assert client.get(f"/library/{resource.id}/download/1").status_code == 404
    page = _html(client.get(f"/library/{resource.id}"))
    assert "held while the person who shared it checks it" in page and "04/12/2016" not in page
    assert "0 results" in _html(client.get('/search?q="placed with grandma"'))
    assert "1 result" in _html(client.get("/search?q=staffing"))  # found by its title


def test_confirming_a_held_file_releases_it_to_others_and_to_search(client, sign_in, people):
    sign_in(people["owner"])
    resource = _upload_with_client_data(client, people, "Call the aunt at 559-555-0199.")
    version = resource.current_version
    assert version.is_held
    assert "0 results" in _html(client.get('/search?q="call the aunt"'))
    response = client.post(f"/library/{resource.id}/versions/{version.number}/confirm")
    assert response.status_code == 302
    db.session.refresh(version)
    assert not version.is_held and version.guard_confirmed_at is not None
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 200
    assert "1 result" in _html(client.get('/search?q="call the aunt"'))


def test_a_file_with_an_ssn_cannot_be_released_only_replaced(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    resource = _upload_with_client_data(client, people, "Mother SSN 545-12-7789 on the SAWS 1.")
    version = resource.current_version
    page = _html(client.get(f"/library/{resource.id}"))
    assert "cannot be shared" in page and "release the file" not in page
    client.post(f"/library/{resource.id}/versions/{version.number}/confirm")
    db.session.refresh(version)
    assert version.is_held
    client.post(f"/library/{resource.id}/versions", data={"note": "Without the SSN",
                                                          "file": (io.BytesIO(pdf_bytes), "v2.pdf")},
                content_type="multipart/form-data")
    jobs.run_ready()
    db.session.refresh(resource)
    assert resource.current_version.number == 2 and not resource.current_version.is_held
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 200
    assert client.get(f"/library/{resource.id}/download/1").status_code == 404


def test_only_editors_release_a_held_file(client, sign_in, people):
    sign_in(people["owner"])
    resource = _upload_with_client_data(client, people, "Call the aunt at 559-555-0199.")
    _sign_in_as(client, sign_in, people["insider"])
    response = client.post(f"/library/{resource.id}/versions/1/confirm")
    assert response.status_code in (403, 404)
    db.session.refresh(resource.current_version)
    assert resource.current_version.is_held


def test_a_file_not_yet_checked_by_the_guard_opens_only_for_its_editors(client, sign_in, people):
    """Until the extraction job has read the text and the guard checked it (a busy or stopped
    worker), the file is not handed to anyone who cannot edit the resource."""
    sign_in(people["owner"])
    resource = _upload_with_client_data(client, people, "The agenda for the next steering committee.")
    version = resource.current_version
    version.extraction_state = "pending"  # as it is between the upload and the job
    db.session.commit()
    assert client.get(f"/library/{resource.id}/download").status_code == 200  # its uploader
    _sign_in_as(client, sign_in, people["insider"])
    for path in (f"/library/{resource.id}/download", f"/library/{resource.id}/download/1",
                 f"/library/{resource.id}/download?preview=1"):
        assert client.get(path).status_code == 404, path
    page = _html(client.get(f"/library/{resource.id}"))
    assert "being checked for client information" in page and "Download notes.pdf" not in page
    version.extraction_state = "searchable"  # the job ran and found nothing
    db.session.commit()
    assert client.get(f"/library/{resource.id}/download").status_code == 200


def _upload(client, data, name):
    client.post("/library/new", data={**share_form(title="Staffing notes", visibility="public"),
                                      "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    jobs.run_ready()
    return db.session.scalars(select(Resource)).one()


def _docx_with_header(header):
    import docx

    document = docx.Document()
    document.add_paragraph("Joint case staffing notes for the Linkages team.")
    document.sections[0].header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("make, name", [
    (lambda: _docx_with_header("Client SSN 545-12-7789 · Fresno CWS"), "notes.docx"),  # in the letterhead
    (lambda: ("Staffing notes.\n" + "Nothing to see here. " * 25_000 + "\nMother SSN 545-12-7789\n").encode(),
     "notes.txt"),  # past the 400,000 characters kept for search
])
def test_an_ssn_anywhere_in_a_files_text_holds_it_for_good(client, sign_in, people, make, name):
    sign_in(people["owner"])
    resource = _upload(client, make(), name)
    version = resource.current_version
    assert version.is_held and "Social Security number" in version.held_reason
    client.post(f"/library/{resource.id}/versions/{version.number}/confirm")
    db.session.refresh(version)
    assert version.is_held  # never released
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 404


def test_a_file_whose_text_cannot_be_read_is_held_until_its_uploader_confirms_it(client, sign_in, people,
                                                                                   pdf_bytes):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    writer.encrypt(user_password="county-secret", algorithm="AES-256")
    locked = io.BytesIO()
    writer.write(locked)
    sign_in(people["owner"])
    resource = _upload(client, locked.getvalue(), "protected.pdf")
    version = resource.current_version
    assert version.is_held and version.held_reason == guard.UNREAD
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 404
    _sign_in_as(client, sign_in, people["owner"])
    assert client.post(f"/library/{resource.id}/versions/{version.number}/confirm").status_code == 302
    _sign_in_as(client, sign_in, people["insider"])
    assert client.get(f"/library/{resource.id}/download").status_code == 200
