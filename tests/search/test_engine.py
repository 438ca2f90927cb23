"""The search backends: query language, snippets, facets, suggestions, and permissions inside the search."""
import re

import pytest

from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.permissions import access_filter
from community.search import backend as site_search

ANONYMOUS = type("Anonymous", (), {"is_authenticated": False, "is_active": False})()


@pytest.fixture
def corpus(app, notes):
    notes.add(1, "Stanislaus MOU between CWS and CalWORKs",
              "The shared release of information lets social workers coordinate case plans.",
              county="Stanislaus", doc_type="mou", toolkit_area=["definitional", "sustainability"],
              year=2021, program="linkages")
    notes.add(2, "Fresno screening tool", "Identify mutual cases at the hotline and at application.",
              county="Fresno", doc_type="tool", toolkit_area=["assessment-planning"], year=2022)
    notes.add(3, "Los Angeles joint fiscal plan", "Braided funding for reunification services.",
              county="Los Angeles", doc_type="fiscal-plan", toolkit_area=["fiscal", "sustainability"],
              year=2022)
    site_search.rebuild()
    return notes


def _titles(results):
    return [re.sub(r"</?mark[^>]*>", "", str(hit.title)) for hit in results.hits]


def everyone():
    return access_filter(None)


def admin_filter():
    from community.permissions import AccessFilter

    return AccessFilter(everything=True, members=True, cluster_ids=frozenset())


def test_phrase_query_matches_the_exact_words_only(corpus):
    found = site_search.search(admin_filter(), '"release of information"')
    assert found.total == 1
    assert site_search.search(admin_filter(), '"information release"').total == 0


def test_fielded_terms_narrow_by_county_and_type(corpus):
    assert _titles(site_search.search(admin_filter(), "county:stanislaus")) == ["Stanislaus MOU between CWS and CalWORKs"]
    assert _titles(site_search.search(admin_filter(), "type:tool")) == ["Fresno screening tool"]
    assert site_search.search(admin_filter(), "county:los-angeles AND type:fiscal-plan").total == 1


def test_fields_accept_labels_and_slugs_in_any_case_as_people_type_them(corpus):
    stanislaus, los_angeles = ["Stanislaus MOU between CWS and CalWORKs"], ["Los Angeles joint fiscal plan"]
    for query in ("county:Stanislaus", "county:STANISLAUS", 'county:"Stanislaus County"', "type:MOU",
                  'type:"MOU / agreement"', "doctype:Mou", "program:Linkages", 'program:"Both (Linkages team)"'):
        assert _titles(site_search.search(admin_filter(), query)) == stanislaus, query
    for query in ('county:"Los Angeles"', 'county:"los angeles"', "county:Los-Angeles", 'type:"Fiscal plan"',
                  "type:FISCAL-PLAN", 'county:"Los Angeles" AND area:Fiscal', "county:Los*"):
        assert _titles(site_search.search(admin_filter(), query)) == los_angeles, query
    assert _titles(site_search.search(admin_filter(), 'area:"Assessment & Planning"')) == ["Fresno screening tool"]
    assert site_search.search(admin_filter(), "county:Kern").total == 0


def test_boolean_operators_and_prefixes(corpus):
    assert site_search.search(admin_filter(), "mutual OR braided").total == 2
    assert site_search.search(admin_filter(), "area:sustainability NOT fiscal").total == 1
    assert site_search.search(admin_filter(), "reunif*").total == 1


def test_english_stemming_finds_other_forms_of_a_word(corpus):
    assert site_search.search(admin_filter(), "plans").total == 2
    assert site_search.search(admin_filter(), "identifies").total == 1


def test_misspelling_gets_a_suggestion_from_the_index_vocabulary(corpus):
    found = site_search.search(admin_filter(), "screning")
    assert found.total == 0
    assert found.suggestion == "screening"


def test_snippets_highlight_the_matched_words_and_escape_the_rest(app, notes):
    notes.add(9, "Notes <script>", "Intro. Braided funding pays for the liaison <b>position</b>.")
    site_search.rebuild()
    hit = site_search.search(admin_filter(), "braided").hits[0]
    assert re.search(r'<mark class="hl[^"]*">Braided</mark>', str(hit.snippet))
    assert "<b>" not in str(hit.snippet) and "&lt;b&gt;" in str(hit.snippet)
    assert "&lt;script&gt;" in str(hit.title)


def test_facet_counts_cover_all_matches_and_narrow_when_chosen(corpus):
    found = site_search.search(admin_filter(), "")
    areas = {v.value: v.count for v in found.facets["area"][1]}
    assert areas["sustainability"] == 2 and areas["fiscal"] == 1
    assert {v.value: v.count for v in found.facets["year"][1]} == {"2022": 2, "2021": 1}
    assert [(v.label, v.count) for v in found.facets["kind"][1]] == [("Field notes", 3)]
    narrowed = site_search.search(admin_filter(), "", {"area": "sustainability", "year": "2022"})
    assert _titles(narrowed) == ["Los Angeles joint fiscal plan"]
    assert {v.value: v.count for v in narrowed.facets["county"][1]} == {"los-angeles": 1}


def test_sorting_by_downloads_and_pagination(app, notes):
    for n in range(1, 13):
        notes.add(n, f"Curriculum part {n}", "Cross-training curriculum for new workers.")
        notes.docs[str(n)].downloads = n
    site_search.rebuild()
    first = site_search.search(admin_filter(), "curriculum", sort="downloads", page=1, per_page=5)
    assert (first.total, first.pages) == (12, 3)
    assert _titles(first)[0] == "Curriculum part 12"
    last = site_search.search(admin_filter(), "curriculum", sort="downloads", page=3, per_page=5)
    assert _titles(last) == ["Curriculum part 2", "Curriculum part 1"]


def test_changes_announced_after_commit_reach_the_index(app, notes):
    from community import content, jobs

    site_search.rebuild()
    notes.add(5, "Sonoma co-location guideline", "Co-located staff meet weekly.")
    content.announce_changed("note", [5])
    db.session.commit()
    jobs.run_ready()
    assert site_search.search(admin_filter(), "co-located").total == 1
    del notes.docs["5"]
    content.announce_removed("note", [5])
    db.session.commit()
    jobs.run_ready()
    assert site_search.search(admin_filter(), "co-located").total == 0


@pytest.fixture
def matrix(app, notes, make_user):
    """Public, members and cluster-only documents, and four kinds of people."""
    inside_cluster = Cluster(slug="fiscal", name="Fiscal & Sustainability")
    other_cluster = Cluster(slug="data", name="Data & Evaluation")
    db.session.add_all([inside_cluster, other_cluster])
    db.session.commit()
    insider, outsider = make_user(name="Insider"), make_user(name="Outsider")
    admin = make_user(role="admin", name="Admin")
    db.session.add_all([ClusterMembership(cluster=inside_cluster, user=insider),
                        ClusterMembership(cluster=other_cluster, user=outsider)])
    db.session.commit()
    notes.add(1, "Public handbook", "Partnership handbook for families.", county="Kern", doc_type="handbook")
    notes.add(2, "Members evaluation", "Partnership evaluation with outcome data.", "members",
              county="Kern", doc_type="report")
    notes.add(3, "Secret budget", "Partnership budget zanzibar negotiations.", "clusters",
              [inside_cluster.id], county="Tulare", doc_type="fiscal-plan")
    site_search.rebuild()
    return {"anonymous": ANONYMOUS, "outsider": outsider, "insider": insider, "admin": admin}


@pytest.mark.parametrize("who, expected", [
    ("anonymous", {"Public handbook"}),
    ("outsider", {"Public handbook", "Members evaluation"}),
    ("insider", {"Public handbook", "Members evaluation", "Secret budget"}),
    ("admin", {"Public handbook", "Members evaluation", "Secret budget"}),
])
def test_permission_matrix_filters_results_and_counts_inside_the_search(matrix, who, expected):
    found = site_search.search(access_filter(matrix[who]), "partnership")
    assert set(_titles(found)) == expected
    assert found.total == len(expected)
    counties = {v.value: v.count for v in found.facets["county"][1]}
    assert ("tulare" in counties) == ("Secret budget" in expected)
    types = {v.value for v in found.facets["type"][1]}
    assert ("fiscal-plan" in types) == ("Secret budget" in expected)


def test_suggestions_never_reveal_words_from_content_the_person_cannot_see(matrix):
    assert site_search.search(access_filter(matrix["outsider"]), "zanzibat").suggestion == ""
    assert site_search.search(access_filter(matrix["insider"]), "zanzibat").suggestion == "zanzibar"


def test_search_page_shows_no_title_snippet_or_count_from_hidden_content(matrix, client, sign_in):
    sign_in(matrix["outsider"])
    page = client.get("/search?q=partnership").get_data(as_text=True)
    assert "Secret budget" not in page and "zanzibar" not in page and "Tulare" not in page
    assert "2 results" in page
    page = client.get("/search?q=zanzibar").get_data(as_text=True)
    assert "0 results" in page and "Secret" not in page


@pytest.mark.parametrize("query", [
    "'); DROP TABLE search_documents; --", 'title:"a\' OR 1=1 --"', "plan:* & !fiscal <-> x", "\\",
    "county:'kern' OR type:%", "((((", ")))) AND OR NOT", "tag:", '"', "ünïcödé café", "a" * 400,
    " ".join(f"word{n}" for n in range(100)),
])
def test_hostile_or_broken_queries_are_read_as_words_and_never_break_the_search(corpus, query):
    found = site_search.search(admin_filter(), query)
    assert found.error == "" or found.error.startswith("That search could not be read")
    assert found.total >= 0
    assert site_search.search(admin_filter(), "screening").total == 1  # the documents are intact


def test_queries_read_the_same_on_every_backend(corpus):
    expectations = {
        "mutual OR braided": 2, "mutual braided": 0, "county:fresno OR county:stanislaus": 2,
        "(fiscal OR screening) tool": 1, "NOT fiscal": 2, "area:sustainability AND NOT braided": 1,
        "doctype:mou": 1, "title:screening": 1, "title:cws": 1, "coordinat*": 0, "coordin*": 1, '"joint fiscal plan"': 1,
    }
    assert {q: site_search.search(admin_filter(), q).total for q in expectations} == expectations


def test_a_page_of_results_shows_its_hits_as_the_database_has_them_now(app, notes):
    """Until a change reaches the index (a stopped worker), a hit is read again from its source:
    what was deleted or made private leaves the page, a removed passage is not quoted, a new
    title is shown."""
    from community.permissions import AccessFilter

    visitor = AccessFilter(everything=False, members=False, cluster_ids=frozenset())
    notes.add(1, "Reunification timelines", "Kern shortened reunification timelines with a joint plan.")
    notes.add(2, "Reunification in Fresno", "Fresno tracks reunification with the Rivera family notes.")
    notes.add(3, "Reunification data", "Placer counts reunification by quarter.")
    site_search.rebuild()
    assert site_search.search(visitor, "reunification").total == 3
    del notes.docs["3"]  # deleted
    notes.add(1, "Reunification timelines", "Kern shortened them.", visibility="members")  # made private
    notes.add(2, "Reunification in Fresno (edited)", "Fresno tracks reunification quarterly.")  # redacted
    found = site_search.search(visitor, "reunification")
    assert [hit.ref for hit in found.hits] == ["2"]
    (hit,) = found.hits
    assert str(hit.title) == "Reunification in Fresno (edited)" and "Rivera" not in str(hit.snippet)
    stale = site_search.search(visitor, "reunification", reread=False)  # as the index has it
    assert len(stale.hits) == 3
