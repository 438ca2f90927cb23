"""Library pages: share, find, download, version, edit, delete; permissions; query counts."""
import io
import re

import pytest
from sqlalchemy import func, select

from community import content
from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.permissions import access_filter
from community.resources import files, services
from community.resources.models import FileChunk, Resource, ResourceVersion, ToolkitEntry
from community.search import backend as site_search

from tests.support.queries import count_queries

from .conftest import share_form


@pytest.fixture
def people(app, make_user):
    cluster = Cluster(slug="fiscal-sustainability", name="Fiscal & Sustainability")
    db.session.add(cluster)
    db.session.commit()
    owner = make_user(name="Maria Lopez")
    insider, outsider = make_user(name="Kevin Nguyen"), make_user(name="Luis Ramirez")
    organizer = make_user(role="organizer", name="Renee Okafor")
    for person in (owner, insider):
        db.session.add(ClusterMembership(cluster=cluster, user=person))
    db.session.commit()
    site_search.rebuild()
    return {"owner": owner, "insider": insider, "outsider": outsider, "organizer": organizer,
            "cluster": cluster}


def make_resource(owner, pdf, title="Joint fiscal plan", visibility="public", clusters=(), **extra):
    stored = files.store_upload(files_storage(pdf, "plan.pdf"))
    details = services.ResourceDetails(title=title, doc_type=extra.pop("doc_type", "fiscal-plan"),
                                       visibility=visibility, cluster_ids=[c.id for c in clusters], **extra)
    resource = services.share_resource(owner, details, stored)
    db.session.commit()
    from community import jobs

    jobs.run_ready()
    return resource


def files_storage(data, name):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name)


def test_sharing_a_file_makes_its_text_findable_by_a_phrase(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    response = client.post("/library/new", data={**share_form(), "file": (io.BytesIO(pdf_bytes), "mou.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Text searchable" in page and "Stanislaus CWS and CalWORKs MOU" in page
    results = client.get('/search?q="shared release of information"').get_data(as_text=True)
    assert "1 result" in results and "<mark" in results and "Stanislaus CWS and CalWORKs MOU" in results


def test_a_bad_file_keeps_the_typed_metadata_and_leaves_nothing_behind(client, sign_in, people, pdf_bytes):
    sign_in(people["owner"])
    response = client.post("/library/new", data={
        **share_form(title="Kern screening tool", summary="Used at the hotline."),
        "file": (io.BytesIO(pdf_bytes), "tool.docx")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is a PDF but its name ends in .docx" in page and "choose the file again" in page
    assert 'value="Kern screening tool"' in page and "Used at the hotline." in page
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0
    assert list(files.upload_dir().iterdir()) == []
    assert db.session.scalar(select(func.count()).select_from(FileChunk)) == 0


def test_the_form_asks_for_a_file_or_a_link(client, sign_in, people):
    sign_in(people["owner"])
    page = client.post("/library/new", data=share_form(), content_type="multipart/form-data").get_data(as_text=True)
    assert "Choose a file to upload, or enter a link." in page


def test_links_must_be_web_addresses(client, sign_in, people):
    sign_in(people["owner"])
    response = client.post("/library/new", data=share_form(doc_type="video", link_url="javascript://x%0aalert(1)"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "starting with https://" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0


def test_cluster_visibility_needs_one_of_the_persons_own_clusters(client, sign_in, people, pdf_bytes):
    sign_in(people["outsider"])
    response = client.post("/library/new", data={
        **share_form(visibility="clusters", cluster_ids=[str(people["cluster"].id)]),
        "file": (io.BytesIO(pdf_bytes), "plan.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0
    assert list(files.upload_dir().iterdir()) == []
    assert db.session.scalar(select(func.count()).select_from(FileChunk)) == 0


def test_downloads_are_attachments_with_the_real_type_and_are_counted(client, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes)
    response = client.get(f"/library/{resource.id}/download")
    assert response.status_code == 200 and response.data == pdf_bytes
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "plan.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    preview = client.get(f"/library/{resource.id}/download?preview=1")
    assert preview.headers["Content-Disposition"].startswith("inline;")
    assert preview.headers["Content-Security-Policy"].startswith("default-src 'none'")
    db.session.refresh(resource)
    assert resource.download_count == 2 and resource.current_version.download_count == 2
    assert site_search.search(access_filter(None), "", sort="downloads").hits[0].downloads == 2


def test_a_link_resource_shows_where_it_leads_instead_of_redirecting_and_counts(client, sign_in, people):
    sign_in(people["owner"])
    response = client.post("/library/new", data=share_form(
        title="Linkages family stories", doc_type="video", link_url="https://www.cfpic.org/linkages/videos"),
        content_type="multipart/form-data")
    resource = db.session.scalar(select(Resource))
    assert response.status_code == 302 and resource.is_link
    leaving = client.get(f"/library/{resource.id}/download")
    page = leaving.get_data(as_text=True)
    assert leaving.status_code == 200 and "Location" not in leaving.headers
    assert "You are leaving Linkages Community" in page
    assert '<strong>https://www.cfpic.org/linkages/videos</strong>' in page
    assert 'href="https://www.cfpic.org/linkages/videos" rel="noopener noreferrer nofollow"' in page
    db.session.refresh(resource)
    assert resource.download_count == 1


@pytest.mark.parametrize("who, visible", [(None, False), ("outsider", False), ("insider", True),
                                          ("organizer", False)])
def test_cluster_resources_answer_404_to_everyone_outside_the_cluster(client, sign_in, people, pdf_bytes, who, visible):
    resource = make_resource(people["owner"], pdf_bytes, "Fiscal cluster budget", "clusters", [people["cluster"]])
    if who:
        sign_in(people[who])
    expected = 200 if visible else 404  # organizers outside the cluster do not see it either
    assert client.get(f"/library/{resource.id}").status_code == expected
    assert client.get(f"/library/{resource.id}/download").status_code == expected
    listing = client.get("/library/").get_data(as_text=True)
    assert ("Fiscal cluster budget" in listing) == (expected == 200)
    assert ("budget" in client.get("/search?q=budget").get_data(as_text=True).split("results")[-1]) == (expected == 200)


def test_a_new_version_keeps_the_old_one_and_search_indexes_the_newest(client, sign_in, people, pdf_bytes):
    from community.resources.demo import make_pdf

    resource = make_resource(people["owner"], pdf_bytes, "Stanislaus MOU")
    sign_in(people["owner"])
    revised = make_pdf("Stanislaus MOU revised", ["Amended to add the co-location addendum."])
    response = client.post(f"/library/{resource.id}/versions", data={
        "file": (io.BytesIO(revised), "mou-2024.pdf"), "note": "Adds the co-location addendum"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/library/{resource.id}").get_data(as_text=True)
    assert "Adds the co-location addendum" in page and "mou-2024.pdf" in page
    assert client.get(f"/library/{resource.id}/download/1").data == pdf_bytes
    assert client.get(f"/library/{resource.id}/download").data == revised
    everyone = access_filter(None)
    assert site_search.search(everyone, "addendum").total == 1
    assert site_search.search(everyone, '"release of information"').total == 0


def test_a_bad_new_version_leaves_no_version_and_no_file(client, sign_in, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes)
    before = set(files.upload_dir().iterdir())
    sign_in(people["owner"])
    response = client.post(f"/library/{resource.id}/versions", data={"file": (io.BytesIO(b""), "empty.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "The file is empty" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ResourceVersion)) == 1
    assert set(files.upload_dir().iterdir()) == before


def test_owner_and_organizers_edit_metadata_other_members_cannot(client, sign_in, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes)
    sign_in(people["outsider"])
    assert client.get(f"/library/{resource.id}/edit").status_code == 403
    client.post("/sign-out")
    sign_in(people["organizer"])
    response = client.post(f"/library/{resource.id}/edit", data=share_form(
        title="Kern joint fiscal plan 2024", doc_type="fiscal-plan", visibility="public"))
    assert response.status_code == 302
    assert site_search.search(access_filter(None), "kern").total == 1


def test_deleting_hides_the_resource_everywhere_and_removes_it_from_search(client, sign_in, people, pdf_bytes):
    resource = make_resource(people["owner"], pdf_bytes, "Sonoma handbook")
    services.add_to_toolkit("communication", resource, people["organizer"])
    db.session.commit()
    sign_in(people["owner"])
    assert client.post(f"/library/{resource.id}/delete").status_code == 302
    assert client.get(f"/library/{resource.id}").status_code == 404
    assert client.get(f"/library/{resource.id}/download").status_code == 404
    assert site_search.search(access_filter(None), "sonoma").total == 0
    assert db.session.scalar(select(func.count()).select_from(ToolkitEntry)) == 0
    assert db.session.get(Resource, resource.id).deleted_at is not None


def test_library_and_search_pages_run_the_same_number_of_queries_for_more_resources(app, client, sign_in, people, pdf_bytes):
    for n in range(2):
        plan = make_resource(people["owner"], pdf_bytes, f"Plan {n}", "clusters", [people["cluster"]])
        services.add_to_toolkit("fiscal", plan, people["organizer"])
    db.session.commit()
    sign_in(people["insider"])
    counts = []
    for more in (0, 12):
        for n in range(more):
            make_resource(people["owner"], pdf_bytes, f"More {n}", "members")
        with count_queries(app) as library:
            assert client.get("/library/").status_code == 200
        with count_queries(app) as search:
            assert client.get("/search?q=plan").status_code == 200
        with count_queries(app) as toolkit:
            assert client.get("/library/toolkit").status_code == 200
        for resource in db.session.scalars(select(Resource)):
            services.add_to_toolkit("fiscal", resource, people["organizer"])
        db.session.commit()
        counts.append((len(library), len(search), len(toolkit)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 8


def test_toolkit_curation_by_organizers_and_public_view(client, sign_in, people, pdf_bytes):
    public = make_resource(people["owner"], pdf_bytes, "Cross-training curriculum", doc_type="curriculum")
    members = make_resource(people["owner"], pdf_bytes, "Members-only fiscal plan", "members")
    sign_in(people["outsider"])
    assert client.get("/library/toolkit/training/manage").status_code == 404
    client.post("/sign-out")
    sign_in(people["organizer"])
    client.post("/library/toolkit/training/manage", data={"action": "describe",
                                                         "area-introduction": "Curricula for joint training."})
    for resource in (public, members):
        client.post("/library/toolkit/training/manage", data={"action": "add", "add-resource_id": resource.id})
    entries = db.session.scalars(select(ToolkitEntry).order_by(ToolkitEntry.position)).all()
    assert [e.resource_id for e in entries] == [public.id, members.id]
    client.post(f"/library/toolkit/entries/{entries[1].id}", data={"action": "up"})
    db.session.expire_all()
    assert [e.resource_id for e in db.session.scalars(select(ToolkitEntry).order_by(ToolkitEntry.position))] == [members.id, public.id]
    client.post("/sign-out")
    client.get("/")  # shows (and clears) the flashed messages
    page = client.get("/library/toolkit/training").get_data(as_text=True)
    assert "Curricula for joint training." in page and "Cross-training curriculum" in page
    assert "Members-only fiscal plan" not in page


def test_providers_offer_only_public_resources_and_cards_the_viewer_may_see(app, people, pdf_bytes):
    public = make_resource(people["owner"], pdf_bytes, "Public MOU")
    private = make_resource(people["owner"], pdf_bytes, "Cluster budget", "clusters", [people["cluster"]])
    assert [c.title for c in content.provide("resources.new_public", None)] == ["Public MOU"]
    assert _card(f"/library/{private.id}", people["outsider"]) is None
    assert _card(f"/library/{private.id}", people["insider"]).title == "Cluster budget"
    assert _card(f"/library/{public.id}", people["outsider"]).meta.startswith("Fiscal plan")
    assert _card("/events/3", people["outsider"]) is None


def test_home_and_profile_sections_show_only_what_the_viewer_may_see(client, sign_in, people, pdf_bytes):
    make_resource(people["owner"], pdf_bytes, "Public MOU")
    make_resource(people["owner"], pdf_bytes, "Cluster budget", "clusters", [people["cluster"]])
    sign_in(people["outsider"])
    home = client.get("/").get_data(as_text=True)
    assert "New in the library" in home and "Public MOU" in home and "Cluster budget" not in home
    profile = client.get(f"/people/{people['owner'].handle}").get_data(as_text=True)
    assert "Shared resources" in profile and "Cluster budget" not in profile


def test_cluster_page_section_lists_the_clusters_resources_for_its_members(app, people, pdf_bytes):
    from community import ui

    make_resource(people["owner"], pdf_bytes, "Cluster budget", "clusters", [people["cluster"]])
    make_resource(people["owner"], pdf_bytes, "Public MOU")
    for who, expected in (("insider", ["Cluster budget"]), ("outsider", None)):
        with app.test_request_context():  # the section is kept as HTML, with its links
            sections = dict(ui.sections(app, "cluster", people["cluster"], people[who]))
        context = sections.get("resources/_kept_section.html")
        shown = context and re.findall(r'<h3><a href="/library/\d+">([^<]+)</a></h3>', str(context["html"]))
        assert shown == expected


def _card(path, viewer):
    """The card any feature offers for `path` (several features answer cards.for_path)."""
    cards = content.provide_all("cards.for_path", path, viewer)
    return cards[0] if cards else None
