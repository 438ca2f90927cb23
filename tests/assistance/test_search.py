"""Technical-assistance requests in the site search: found by the county's staff and CFPIC only.

Runs on SQLite (Whoosh) and PostgreSQL (its full-text backend), through the one search interface
and the real search page, and checks what else a search shows: facet counts and "did you mean".
"""
import pytest

from community import jobs
from community.assistance import services
from community.extensions import db
from community.permissions import access_filter
from community.search import backend as site_search

from .conftest import county_people

PASSWORD = "correct horse battery"
TOPIC_WORD, DETAILS_WORD, NOTE_WORD = "quillbrindle", "marrowfinch", "tamberlode"
ANONYMOUS = type("Anonymous", (), {"is_authenticated": False, "is_active": False})()


def commit():
    db.session.commit()
    jobs.run_ready()


@pytest.fixture
def people(app, make_user):
    """A Fresno request; who must find it and who must not (a cluster-mate from another county too)."""
    People = county_people(make_user, "facilitator")
    People.request = services.ask_for_help(People.requester, services.Ask(
        topic=f"Starting {TOPIC_WORD} reviews", details=f"We tried the {DETAILS_WORD} approach for mutual cases.",
        toolkit_area="evaluation", strategy="joint-case-reviews"))
    commit()
    return People


FINDERS = ["requester", "colleague", "organizer"]
OTHERS = ["elsewhere", "cluster_mate", "anonymous"]


def _viewer(people, who):
    return ANONYMOUS if who == "anonymous" else getattr(people, who)


@pytest.mark.parametrize("who", FINDERS)
def test_the_county_staff_and_cfpic_find_a_request_by_its_words(people, who):
    allowed = access_filter(_viewer(people, who))
    for word in (TOPIC_WORD, DETAILS_WORD):
        found = site_search.search(allowed, word)
        assert [hit.url for hit in found.hits] == [f"/assistance/{people.request.id}"], word
    facets = site_search.search(allowed, "", {"kind": "assistance"}).facets  # people have counties too
    assert ("assistance", 1) in [(v.value, v.count) for v in facets["kind"][1]]
    assert ("fresno", 1) in [(v.value, v.count) for v in facets["county"][1]]


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_finds_a_request_nor_counts_it_in_facets(people, who):
    allowed = access_filter(_viewer(people, who))
    for query in (TOPIC_WORD, DETAILS_WORD, f"{TOPIC_WORD[:5]}*", "reviews", "kind:assistance", "county:fresno"):
        assert site_search.search(allowed, query, {"kind": "assistance"}).total == 0, query
    everything = site_search.search(allowed, "", {"kind": "assistance"})  # members find people too
    assert everything.total == 0
    assert all(values == [] for _, values in everything.facets.values())


def test_did_you_mean_offers_a_requests_words_only_to_those_who_may_find_it(people):
    near_miss = TOPIC_WORD[:-2] + TOPIC_WORD[-1]
    for who in FINDERS:
        assert site_search.search(access_filter(_viewer(people, who)), near_miss).suggestion == TOPIC_WORD, who
    for who in OTHERS:
        assert site_search.search(access_filter(_viewer(people, who)), near_miss).suggestion == "", who


def test_shared_notes_become_findable_and_internal_notes_never_do(people):
    services.add_note(people.request, people.organizer, f"Internal: ask Kern about {NOTE_WORD}.")
    commit()
    colleague, organizer = access_filter(people.colleague), access_filter(people.organizer)
    assert site_search.search(organizer, NOTE_WORD).total == 0
    services.add_note(people.request, people.organizer, f"Kern's {NOTE_WORD} checklist helps.", shared=True)
    commit()
    assert site_search.search(colleague, NOTE_WORD).total == 1
    assert site_search.search(access_filter(people.elsewhere), NOTE_WORD).total == 0


def test_a_triaged_request_is_reindexed_and_moving_counties_changes_who_finds_it(people):
    services.triage(people.request, people.organizer, status="in_progress", assignee_id=people.organizer.id)
    commit()
    assert site_search.search(access_filter(people.colleague), TOPIC_WORD).total == 1
    people.colleague.county_id = people.elsewhere.county_id
    db.session.commit()
    assert site_search.search(access_filter(people.colleague), TOPIC_WORD).total == 0


@pytest.mark.parametrize("who", FINDERS + OTHERS)
def test_the_search_page_shows_the_request_to_participants_only(app, people, who):
    client = app.test_client()
    if who != "anonymous":
        assert client.post("/sign-in", data={"email": _viewer(people, who).email,
                                             "password": PASSWORD}).status_code == 302
    # The page repeats the query, so the words themselves are never sent: a near-miss asks for
    # "did you mean", a prefix and a plain word for hits and snippets.
    near_miss = DETAILS_WORD[:-2] + DETAILS_WORD[-1]
    pages = [client.get(f"/search?q={query}").get_data(as_text=True).lower()
             for query in (near_miss, f"{TOPIC_WORD[:5]}*", "", "reviews", "approach")]
    seen = {word for word in (TOPIC_WORD, DETAILS_WORD) if any(word in page for page in pages)}
    assert seen == ({TOPIC_WORD, DETAILS_WORD} if who in FINDERS else set())
