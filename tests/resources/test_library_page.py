"""The library page: the filter panel and its counts, chips, sorts, words, and its query count."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from community import jobs
from community.accounts.models import County
from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.resources import browse, services
from community.search import backend as site_search
from community.timeutil import utcnow

from tests.support.queries import count_queries


@pytest.fixture
def people(app, make_user):
    cluster = Cluster(slug="fiscal-sustainability", name="Fiscal & Sustainability")
    db.session.add(cluster)
    db.session.commit()
    owner, insider = make_user(name="Maria Lopez"), make_user(name="Kevin Nguyen")
    outsider = make_user(name="Luis Ramirez")
    for person in (owner, insider):
        db.session.add(ClusterMembership(cluster=cluster, user=person))
    db.session.commit()
    site_search.rebuild()
    return {"owner": owner, "insider": insider, "outsider": outsider, "cluster": cluster}


def county_id(name):
    return db.session.scalar(select(County.id).where(County.name == name))


def share_link(owner, title, county=None, days_ago=0, downloads=0, clusters=(), **extra):
    """A link resource (no file to extract, so the test stays quick) described like any other."""
    details = services.ResourceDetails(
        title=title, doc_type=extra.pop("doc_type", "policy"), county_id=county_id(county) if county else None,
        link_url=f"https://www.example.org/{len(title)}/{abs(hash(title))}",
        cluster_ids=[c.id for c in clusters], visibility=extra.pop("visibility", "public"), **extra)
    resource = services.share_resource(owner, details)
    resource.created_at = utcnow() - timedelta(days=days_ago)
    resource.download_count = downloads
    db.session.commit()
    jobs.run_ready()  # the index reads the committed row, date and count included
    return resource


def options(page, name):
    """{value: text} of the options of the panel's select `name`."""
    select_html = re.search(rf'<select id="filter-{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html))


def titles(page):
    return re.findall(r'<h3><a href="/library/\d+">([^<]+)</a></h3>', page)


@pytest.fixture
def library(people):
    owner = people["owner"]
    share_link(owner, "Kern MOU between CWS and CalWORKs", "Kern", 30, 5, doc_type="mou", year=2019,
               toolkit_areas=["definitional"], strategies=["linkages-teams"], program="linkages")
    share_link(owner, "Kern shared release of information", "Kern", 20, 40, doc_type="form", year=2021,
               toolkit_areas=["assessment-planning"], program="cws")
    share_link(owner, "Los Angeles co-location guidelines", "Los Angeles", 10, 12, doc_type="policy",
               year=2021, toolkit_areas=["definitional", "sustainability"], strategies=["co-location"])
    share_link(owner, "Members-only Stanislaus screening tool", "Stanislaus", 5, 1, doc_type="tool",
               year=2022, visibility="members", toolkit_areas=["assessment-planning"])
    share_link(owner, "Cluster-only Kern fiscal plan", "Kern", 1, 99, doc_type="fiscal-plan", year=2023,
               visibility="clusters", clusters=[people["cluster"]], toolkit_areas=["fiscal"],
               program="calworks")
    return people


def test_the_first_visit_shows_the_filter_panel_with_counts_of_what_a_visitor_may_see(client, library):
    page = client.get("/library/").get_data(as_text=True)
    assert options(page, "county") == {"": "Any county", "kern": "Kern (2)", "los-angeles": "Los Angeles (1)"}
    assert options(page, "type") == {"": "Any type", "policy": "Policy / guideline (1)",
                                     "mou": "MOU / agreement (1)", "form": "Form (1)"}
    assert options(page, "year") == {"": "Any year", "2021": "2021 (2)", "2019": "2019 (1)"}
    assert options(page, "area")["definitional"] == "Definitional (2)"
    assert options(page, "strategy")["co-location"] == "Co-location of CalWORKs and CWS staff (1)"
    assert "3 resources" in page and "Cluster-only" not in page and "Members-only" not in page


def test_a_cluster_resource_is_counted_for_its_members_and_never_for_other_members(client, sign_in, library):
    sign_in(library["outsider"])
    page = client.get("/library/").get_data(as_text=True)
    assert options(page, "county")["kern"] == "Kern (2)"
    assert "fiscal-plan" not in options(page, "type") and "fiscal" not in options(page, "area")
    assert "calworks" not in options(page, "program") and "2023" not in options(page, "year")
    assert "4 resources" in page and "Cluster-only Kern fiscal plan" not in page
    client.post("/sign-out")
    sign_in(library["insider"])
    page = client.get("/library/").get_data(as_text=True)
    assert options(page, "county")["kern"] == "Kern (3)"
    assert options(page, "type")["fiscal-plan"] == "Fiscal plan (1)"
    assert "5 resources" in page and "Cluster-only Kern fiscal plan" in page


def test_filters_narrow_the_list_and_the_counts_and_show_as_readable_chips(client, library):
    page = client.get("/library/?county=kern&year=2021").get_data(as_text=True)
    assert titles(page) == ["Kern shared release of information"]
    assert options(page, "type") == {"": "Any type", "form": "Form (1)"}
    chips = re.findall(r'<a class="filter-chip" href="([^"]+)">([^<]+)<', page)
    assert [text for _, text in chips] == ["County: Kern", "Year: 2021"]
    without_county = dict(chips)
    assert {href: text for text, href in without_county.items()}["County: Kern"] == "/library/?year=2021"
    assert "/library/?county=kern" in without_county
    assert '<option value="kern" selected>Kern (1)</option>' in page


def test_a_removed_chip_drops_only_its_own_filter(client, library):
    page = client.get("/library/?county=kern&type=mou&sort=title").get_data(as_text=True)
    hrefs = dict((text, href.replace("&amp;", "&")) for href, text in
                 re.findall(r'<a class="filter-chip" href="([^"]+)">([^<]+)<', page))
    assert hrefs["Type: MOU / agreement"] == "/library/?county=kern&sort=title"
    assert hrefs["County: Kern"] == "/library/?type=mou&sort=title"
    assert titles(client.get(hrefs["Type: MOU / agreement"]).get_data(as_text=True)) == [
        "Kern MOU between CWS and CalWORKs", "Kern shared release of information"]


@pytest.mark.parametrize("sort, expected", [
    ("newest", ["Los Angeles co-location guidelines", "Kern shared release of information",
                "Kern MOU between CWS and CalWORKs"]),
    ("title", ["Kern MOU between CWS and CalWORKs", "Kern shared release of information",
               "Los Angeles co-location guidelines"]),
    ("downloads", ["Kern shared release of information", "Los Angeles co-location guidelines",
                   "Kern MOU between CWS and CalWORKs"]),
    ("nonsense", ["Los Angeles co-location guidelines", "Kern shared release of information",
                  "Kern MOU between CWS and CalWORKs"]),
])
def test_the_list_sorts_by_newest_title_or_downloads(client, library, sort, expected):
    assert titles(client.get(f"/library/?sort={sort}").get_data(as_text=True)) == expected


def test_unknown_filter_values_are_ignored_not_errors(client, library):
    for query in ("county=%3Cscript%3E", "year=99999999999", "type=MOU%00", "area=", "year=0", "page=-3",
                  "page=99999999999999"):
        response = client.get(f"/library/?{query}")
        assert response.status_code == 200, query
    assert "3 resources" in client.get("/library/?county=atlantis&year=12").get_data(as_text=True)


def test_words_search_only_the_library_with_relevance_and_keep_the_filters(client, library):
    page = client.get("/library/?q=kern&type=mou").get_data(as_text=True)
    assert titles(page) == [] and "1 resource for" in page  # titles are highlighted
    assert "MOU between CWS and CalWORKs" in page and "release of information" not in page
    assert '<option value="relevance" selected>Relevance</option>' in page
    assert '<a class="filter-chip" href="/library/?q=kern">Type: MOU / agreement<' in page
    assert options(page, "county") == {"": "Any county", "kern": "Kern (1)"}


def test_words_never_find_or_count_a_cluster_resource_for_someone_outside_it(client, sign_in, library):
    sign_in(library["outsider"])
    page = client.get("/library/?q=fiscal").get_data(as_text=True)
    assert "0 resources" in page and "Cluster-only" not in page
    assert "fiscal-plan" not in options(page, "type")
    client.post("/sign-out")
    sign_in(library["insider"])
    assert "1 resource for" in client.get("/library/?q=fiscal").get_data(as_text=True)


def test_each_item_shows_its_format_size_date_and_downloads(client, sign_in, library, pdf_bytes):
    from .test_views import make_resource

    make_resource(library["owner"], pdf_bytes, "Fresno joint fiscal plan")
    page = client.get("/library/?sort=title").get_data(as_text=True)
    item = page[page.index("Fresno joint fiscal plan") - 400:]
    assert '<span class="file-icon file-pdf" aria-hidden="true">PDF</span>' in item
    assert re.search(r"PDF, \d+ KB · added <time datetime=\"[^\"]+\">[A-Z][a-z]{2}, [A-Z][a-z]{2} \d+, 20\d\d</time> · 0 downloads", item)
    assert re.search(r"Link · added .* · 40 views", page)


def test_library_lists_run_the_same_number_of_queries_for_more_resources(app, client, sign_in, library):
    sign_in(library["insider"])
    counts = []
    for more in (0, 15):
        for n in range(more):
            share_link(library["owner"], f"More {n}", "Kern", n, doc_type="protocol",
                       visibility="clusters" if n % 2 else "members", clusters=[library["cluster"]])
        per_view = []
        for path in ("/library/", "/library/?county=kern&sort=downloads", "/library/?q=kern",
                     "/library/toolkit", "/library/toolkit/definitional",
                     f"/people/{library['owner'].handle}"):  # (the home page caches events: not here)
            with count_queries(app) as statements:
                assert client.get(path).status_code == 200
            per_view.append(len(statements))
        counts.append(per_view)
    assert counts[0] == counts[1]
    assert max(counts[0][:5]) <= 12  # the PostgreSQL search backend reads its own tables too


def test_browse_counts_each_toolkit_area_once_per_resource(app, library):
    assert browse.counts_by_area(library["insider"]) == {
        "definitional": 2, "assessment-planning": 2, "training": 0, "evaluation": 0,
        "communication": 0, "fiscal": 1, "sustainability": 1}
    assert browse.counts_by_area(None)["assessment-planning"] == 1


def test_when_the_index_cannot_be_read_the_library_still_lists_and_filters(client, library, monkeypatch):
    def broken(*args, **kwargs):
        raise site_search.SearchUnavailable("the index folder is gone")

    rebuilds = []
    monkeypatch.setattr(site_search, "search", broken)
    monkeypatch.setattr(site_search, "request_rebuild", lambda: rebuilds.append(True))
    response = client.get("/library/?q=kern&county=kern")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and rebuilds == [True]
    assert "Searching by words is unavailable for a few minutes" in page
    assert titles(page) == ["Kern shared release of information", "Kern MOU between CWS and CalWORKs"]


def test_browsing_is_kept_between_views_and_notices_changes_made_anywhere(client, sign_in, people):
    """The panel's ids and counts are reused while the resources table is unchanged; an edit,
    a deletion or a download made by another process (a direct UPDATE here) shows at once."""
    from sqlalchemy import update

    from community.resources.models import Resource

    first = share_link(people["owner"], "Joint case plan template", county="Kern", days_ago=2)
    second = share_link(people["owner"], "Co-location guide", county="Fresno", days_ago=1)
    sign_in(people["outsider"])
    assert titles(client.get("/library/").get_data(as_text=True)) == ["Co-location guide", "Joint case plan template"]
    with count_queries() as warm:
        client.get("/library/")
    with count_queries() as again:
        client.get("/library/")
    assert len(again) == len(warm)  # the kept answer: no reading of every resource

    db.session.execute(update(Resource).where(Resource.id == first.id)
                       .values(title="Joint case plan template (2026)", updated_at=utcnow()))
    db.session.commit()
    assert "Joint case plan template (2026)" in titles(client.get("/library/").get_data(as_text=True))

    db.session.execute(update(Resource).where(Resource.id == first.id).values(download_count=9))
    db.session.commit()
    assert titles(client.get("/library/?sort=downloads").get_data(as_text=True))[0].startswith("Joint")

    db.session.execute(update(Resource).where(Resource.id == second.id).values(deleted_at=utcnow()))
    db.session.commit()
    page = client.get("/library/").get_data(as_text=True)
    assert titles(page) == ["Joint case plan template (2026)"]
    assert set(options(page, "county")) == {"", "kern"}, options(page, "county")


def test_a_kept_library_page_is_never_shown_to_someone_who_may_see_less(client, app, sign_in, people):
    """The panel and list are kept per (access, filters, sort, page, query string, signed in):
    a cluster member's page, viewed first, never reaches an outsider or a visitor."""
    share_link(people["owner"], "Fiscal cluster budget worksheet", clusters=[people["cluster"]],
               visibility="clusters")
    share_link(people["owner"], "Members-only screening protocol", visibility="members")
    share_link(people["owner"], "Public MOU template", county="Kern")
    sign_in(people["insider"])
    inside = client.get("/library/").get_data(as_text=True)
    assert {"Fiscal cluster budget worksheet", "Members-only screening protocol", "Public MOU template"} \
        <= set(titles(inside))
    client.post("/sign-out")
    sign_in(people["outsider"])
    outside = client.get("/library/").get_data(as_text=True)
    assert "Fiscal cluster budget worksheet" not in outside
    assert set(titles(outside)) == {"Members-only screening protocol", "Public MOU template"}
    with app.test_client() as visitor:
        public = visitor.get("/library/").get_data(as_text=True)
    assert titles(public) == ["Public MOU template"]
    assert "Members-only" not in public and "(3)" not in public  # no member's counts either


def test_a_kept_library_page_keeps_its_own_links(client, sign_in, people):
    for n in range(3):
        share_link(people["owner"], f"Protocol {n}", county="Kern", days_ago=n)
    sign_in(people["outsider"])
    newest = client.get("/library/?sort=newest").get_data(as_text=True)
    by_title = client.get("/library/?sort=title&county=kern").get_data(as_text=True)
    assert titles(newest) == ["Protocol 0", "Protocol 1", "Protocol 2"]
    assert "County: Kern" in by_title and "County: Kern" not in newest
    assert 'href="/library/?sort=title"' in by_title  # the chip's link keeps the page's own sort


def test_the_library_version_rises_with_every_write_to_its_tables_whoever_makes_it(people):
    """Triggers raise it, so a write from another process, machine or tool counts as much as
    one through the services; reading it is one primary-key lookup whatever the library's size."""
    from sqlalchemy import text

    from community.resources.models import LibraryVersion

    def version():
        db.session.commit()
        return db.session.scalar(select(LibraryVersion.version).where(LibraryVersion.id == 1))

    before = version()
    resource = share_link(people["owner"], "Joint case plan template", county="Kern")
    after_share = version()
    assert after_share > before
    db.session.execute(text("UPDATE resources SET download_count = download_count + 1 WHERE id = :id"),
                       {"id": resource.id})
    after_download = version()
    assert after_download > after_share
    db.session.execute(text("INSERT INTO resource_clusters (resource_id, cluster_id) VALUES (:r, :c)"),
                       {"r": resource.id, "c": people["cluster"].id})
    after_cluster = version()
    assert after_cluster > after_download
    db.session.execute(text("DELETE FROM resource_clusters WHERE resource_id = :r"), {"r": resource.id})
    assert version() > after_cluster
