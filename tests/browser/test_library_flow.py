"""A member shares a document, finds it by a phrase from inside the file, narrows, downloads.

Every page on the way (library, upload, resource, search, toolkit, curation) is checked with
axe-core and the Nu HTML Checker.
"""
import pytest

from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.resources import services
from community.resources.demo import make_docx, make_pdf, upload_bytes
from tests.support.browser import sign_in_page

pytestmark = pytest.mark.browser


def test_share_find_narrow_and_download(page, live_server, check_page, make_user, tmp_path):
    with live_server.app.app_context():
        member = make_user(name="Maria Lopez", email="maria.lopez@stanislaus.example.gov")
        make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org")
        cluster = Cluster(slug="family-engagement", name="Family Engagement")
        db.session.add(cluster)
        db.session.add(ClusterMembership(cluster=cluster, user=member))
        db.session.flush()
        services.share_resource(member, services.ResourceDetails(
            title="Fresno Team Decision Meeting protocol", doc_type="protocol", visibility="public",
            toolkit_areas=["assessment-planning"], year=2022),
            upload_bytes(make_docx("TDM protocol", ["CalWORKs staff join Team Decision Meetings."]), "tdm.docx"))
        db.session.commit()

    pdf = tmp_path / "stanislaus-roi.pdf"
    pdf.write_bytes(make_pdf("Shared release of information", [
        "Parents agree that their social worker and employment case manager may share the "
        "Welfare-to-Work plan so that classes and work hours fit in one week."]))

    live_server.app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    sign_in_page(page, "maria.lopez@stanislaus.example.gov", "correct horse battery")
    page.get_by_role("link", name="Library").first.click()
    page.get_by_role("heading", name="Resource library").wait_for()
    check_page(page, "library")
    page.get_by_role("link", name="Share a resource").click()
    check_page(page, "resource-upload")

    # Too large: the browser says so before sending anything.
    page.get_by_label("File", exact=True).set_input_files(files=[{
        "name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " + b"0" * 3_000_000}])
    page.get_by_text("This file is larger than 2 MB").wait_for()

    # A wrong file next: the message shows and what was typed stays.
    page.get_by_label("Title").fill("Stanislaus shared release of information")
    page.get_by_label("Summary").fill("One consent form for both programs.")
    page.get_by_label("File", exact=True).set_input_files(files=[{
        "name": "roi.docx", "mimeType": "application/octet-stream", "buffer": pdf.read_bytes()}])
    page.get_by_label("Document type").select_option(label="Form")
    page.get_by_role("button", name="Share").click()
    page.get_by_text("is a PDF but its name ends in .docx").first.wait_for()
    check_page(page, "resource-upload-error")
    assert page.get_by_label("Title").input_value() == "Stanislaus shared release of information"

    page.get_by_label("File", exact=True).set_input_files(str(pdf))
    page.get_by_label("Assessment & Planning").check()
    page.get_by_label("Coordinated case planning").check()
    page.get_by_label("Tags").fill("release of information, consent")
    page.get_by_label("Year").fill("2024")
    page.get_by_label("Public: anyone, including visitors").check()
    page.get_by_role("button", name="Share").click()
    page.get_by_role("heading", name="Stanislaus shared release of information").wait_for()
    page.get_by_text("Text searchable").wait_for()
    check_page(page, "resource")

    page.get_by_role("search", name="Site").get_by_role("searchbox").fill('"fit in one week"')
    page.get_by_role("search", name="Site").get_by_role("button", name="Search").click()
    page.get_by_role("heading", name="1 result").wait_for()
    assert page.locator("mark").count() >= 1
    check_page(page, "search")

    page.goto("/search?q=&kind=resource")  # the library resources (members find people too)
    page.get_by_role("heading", name="2 results").wait_for()
    page.get_by_role("complementary", name="Narrow the results").get_by_role("link", name="Form").click()
    page.get_by_role("heading", name="1 result").wait_for()
    check_page(page, "search-narrowed")
    page.get_by_role("link", name="Stanislaus shared release of information").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download stanislaus-roi.pdf").click()
    assert download.value.suggested_filename == "stanislaus-roi.pdf"
    assert download.value.path().read_bytes() == pdf.read_bytes()

    page.get_by_role("link", name="Edit details").click()
    check_page(page, "resource-edit")
    page.goto("/library/toolkit")
    check_page(page, "toolkit")
    page.get_by_role("button", name="Sign out").click()

    sign_in_page(page, "organizer@linkages.example.org", "correct horse battery")
    page.goto("/library/toolkit/assessment-planning")
    page.get_by_role("link", name="Curate this area").click()
    page.get_by_role("textbox", name="Start here").fill("Tools to identify mutual cases and plan together.")
    page.get_by_label("Curated by").select_option(label="Renee Okafor")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_label("Resource", exact=True).select_option(label="Stanislaus shared release of information (Form · Stanislaus County · 2024)")
    page.get_by_role("button", name="Add to Assessment & Planning").click()
    page.get_by_role("link", name="Stanislaus shared release of information").wait_for()
    check_page(page, "toolkit-curate")
    page.get_by_role("link", name="Assessment & Planning", exact=True).click()
    page.get_by_text("Curated by Renee Okafor for CFPIC").wait_for()
    page.get_by_text("Tools to identify mutual cases and plan together.").wait_for()
    check_page(page, "toolkit-area")
    page.goto("/search?q=zzqx")
    check_page(page, "search-empty")
