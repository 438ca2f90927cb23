"""The Linkages Toolkit: a page per area, curated by organizers and only by them."""
import re

import pytest
from sqlalchemy import select

from community.errors import DomainError, NotAllowed
from community.extensions import db
from community.resources import services
from community.resources.models import ToolkitArea, ToolkitEntry

from .test_library_page import people, share_link  # noqa: F401  (fixtures)


@pytest.fixture
def curated(people, make_user):
    organizer = make_user(role="organizer", name="Renee Okafor")
    owner = people["owner"]
    first = share_link(owner, "What Linkages is: a one-page brief", "Stanislaus", 9, toolkit_areas=["definitional"])
    second = share_link(owner, "Shared vision statement", "Kern", 5, toolkit_areas=["definitional"])
    members = share_link(owner, "Members-only planning guide", visibility="members", toolkit_areas=["definitional"])
    share_link(owner, "Tagged but not chosen", "Fresno", 2, toolkit_areas=["definitional"])
    services.describe_area("definitional", organizer, "Start with the brief.\n\nThen agree on a vision.",
                           organizer.id)
    for resource in (second, first, members):
        services.add_to_toolkit("definitional", resource, organizer)
    db.session.commit()
    return {**people, "organizer": organizer, "first": first, "second": second}


def chosen(page):
    section = page[page.index('id="chosen"'):page.index("Everything tagged")]
    return re.findall(r'<h3><a href="/library/\d+">([^<]+)</a></h3>', section)


def test_an_area_page_starts_here_lists_the_chosen_order_and_names_its_curator(client, curated):
    page = client.get("/library/toolkit/definitional").get_data(as_text=True)
    assert "<h2 id=\"start-here\">Start here</h2>" in page
    assert "<p>Start with the brief.</p><p>Then agree on a vision.</p>" in page
    assert chosen(page) == ["Shared vision statement", "What Linkages is: a one-page brief"]
    assert "Curated by Renee Okafor for CFPIC" in page
    assert '<a href="/library/?area=definitional">Everything tagged Definitional in the library (3)</a>' in page
    assert "Curate this area" not in page


def test_members_see_the_members_only_choice_and_a_larger_tagged_count(client, sign_in, curated):
    sign_in(curated["outsider"])
    page = client.get("/library/toolkit/definitional").get_data(as_text=True)
    assert chosen(page) == ["Shared vision statement", "What Linkages is: a one-page brief",
                            "Members-only planning guide"]
    assert "Everything tagged Definitional in the library (4)" in page


def test_the_overview_links_every_area_with_its_counts_and_curator(client, curated):
    page = client.get("/library/toolkit").get_data(as_text=True)
    assert page.count('<li class="card">') == 7
    assert '<a href="/library/toolkit/definitional">Definitional</a>' in page
    assert "2 chosen resources" in page and "3 tagged Definitional" in page
    assert "Curated by Renee Okafor" in page and "Curated by CFPIC staff" in page


def test_an_unknown_area_is_not_found(client, curated):
    assert client.get("/library/toolkit/astrology").status_code == 404
    assert client.get("/library/toolkit/astrology/manage").status_code in (302, 404)


def test_an_organizer_reorders_adds_removes_and_names_the_curator(client, sign_in, curated, make_user):
    other = make_user(role="organizer", name="Dana Whitfield")
    sign_in(curated["organizer"])
    assert client.get("/library/toolkit/definitional/manage").status_code == 200
    entries = db.session.scalars(select(ToolkitEntry).order_by(ToolkitEntry.position)).all()
    assert client.post(f"/library/toolkit/entries/{entries[1].id}", data={"action": "up"}).status_code == 302
    client.post(f"/library/toolkit/entries/{entries[2].id}", data={"action": "remove"})
    response = client.post("/library/toolkit/definitional/manage", data={
        "action": "describe", "area-introduction": "Begin with the brief.", "area-curator_id": str(other.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert [e.resource.title for e in db.session.scalars(select(ToolkitEntry).order_by(ToolkitEntry.position))] == [
        "What Linkages is: a one-page brief", "Shared vision statement"]
    area = db.session.get(ToolkitArea, "definitional")
    assert area.introduction == "Begin with the brief." and area.curator_id == other.id
    assert "Curated by Dana Whitfield" in client.get("/library/toolkit/definitional").get_data(as_text=True)


def test_only_an_organizer_may_curate(client, sign_in, curated):
    """A curator must be an organizer; the form says so and changes nothing."""
    sign_in(curated["organizer"])
    response = client.post("/library/toolkit/definitional/manage", data={
        "action": "describe", "area-introduction": "Changed", "area-curator_id": str(curated["owner"].id)})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ToolkitArea, "definitional").introduction.startswith("Start with the brief.")
    with pytest.raises(DomainError, match="Choose an organizer"):
        services.describe_area("definitional", curated["organizer"], "Changed", curated["owner"].id)
    with pytest.raises(NotAllowed):
        services.describe_area("definitional", curated["insider"], "Changed")


@pytest.mark.parametrize("who", ["member", "visitor"])
def test_members_and_visitors_cannot_curate_and_nothing_changes(client, sign_in, curated, who):
    if who == "member":
        sign_in(curated["insider"])
    entry = db.session.scalars(select(ToolkitEntry).order_by(ToolkitEntry.position)).first()
    expected = 404 if who == "member" else 302
    assert client.get("/library/toolkit/definitional/manage").status_code == expected
    for data in ({"action": "describe", "area-introduction": "Hijacked"},
                 {"action": "add", "add-resource_id": str(curated["first"].id)}):
        assert client.post("/library/toolkit/definitional/manage", data=data).status_code == expected
    for action in ("up", "down", "remove"):
        assert client.post(f"/library/toolkit/entries/{entry.id}", data={"action": action}).status_code == expected
    db.session.expire_all()
    assert db.session.get(ToolkitArea, "definitional").introduction.startswith("Start with the brief.")
    assert len(db.session.scalars(select(ToolkitEntry)).all()) == 3


def test_the_introduction_passes_the_confidentiality_guard(client, sign_in, curated):
    sign_in(curated["organizer"])
    response = client.post("/library/toolkit/definitional/manage", data={
        "action": "describe", "area-introduction": "Ask Jane Doe (age 7) about her SSN 123-45-6789."})
    assert response.status_code == 422
    db.session.expire_all()
    assert "Jane" not in db.session.get(ToolkitArea, "definitional").introduction
