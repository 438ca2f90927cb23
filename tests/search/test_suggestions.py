""""Did you mean" offers only words from documents the person may see (issue 9, leak 1).

Every private word below lives in exactly one place that only the Data & Evaluation cluster may
see; its near-miss is one edit away. Members of the cluster get the word suggested; nobody else
ever does, whatever the query around it.
"""
import io

import pytest
from werkzeug.datastructures import FileStorage

from community import jobs
from community.clusters.models import Cluster, ClusterMembership
from community.convenings import services as events
from community.extensions import db
from community.forums import services as forums
from community.permissions import access_filter
from community.resources import files
from community.resources import services as library
from community.resources.demo import make_pdf
from community.search import engine

ANONYMOUS = type("Anonymous", (), {"is_authenticated": False, "is_active": False})()

#: where the word is -> (private word, near-miss typed by someone, fielded query or None)
PRIVATE_WORDS = {
    "thread title": ("quillbrook", "quilbrook", "title:quilbrook"),
    "thread body": ("zephyrine", "zephrine", "content:zephrine"),
    "resource title": ("marrowfield", "marowfield", "title:marowfield"),
    "resource summary": ("tamberlight", "tamberlignt", None),
    "resource tag": ("ospreyfold", "osprefold", "tag:osprefold"),
    "resource file text": ("vantablock", "vantablok", None),
    "event title": ("kestrelwick", "kestrelwik", "title:kestrelwik"),
}
OUTSIDERS = ["anonymous", "outsider", "pending", "leaver", "organizer"]


@pytest.fixture
def private_corpus(app, make_user):
    """A closed cluster's thread, cluster-only resource and event, plus public content; six roles."""
    closed = Cluster(slug="data-evaluation", name="Data & Evaluation", is_open=False)
    other = Cluster(slug="fiscal", name="Fiscal & Sustainability")
    db.session.add_all([closed, other])
    db.session.commit()
    people = {
        "insider": make_user(name="Kevin Nguyen"),
        "outsider": make_user(name="Luis Ramirez"),
        "pending": make_user(name="Pat Pending"),
        "leaver": make_user(name="Lee Leaver"),
        "organizer": make_user(role="organizer", name="Renee Okafor"),
    }
    db.session.add_all([
        ClusterMembership(cluster=closed, user=people["insider"], role="facilitator"),
        ClusterMembership(cluster=closed, user=people["leaver"]),
        ClusterMembership(cluster=other, user=people["outsider"]),
        ClusterMembership(cluster=other, user=people["organizer"]),
    ])
    db.session.commit()
    forums.request_to_join(closed, people["pending"])
    db.session.commit()

    forums.start_thread(closed, people["insider"], "Quillbrook pilot review",
                        "The zephyrine extract matched more mutual cases than we expected.")
    forums.start_thread(other, people["outsider"], "Partnership budget planning",
                        "Braided funding, the partnership handbook, wick and tdms.")
    stored = files.store_upload(FileStorage(io.BytesIO(make_pdf(
        "Internal review", ["The vantablock dashboard counts mutual families."])), filename="review.pdf"))
    library.share_resource(people["insider"], library.ResourceDetails(
        title="Marrowfield county evaluation", doc_type="report",
        summary="Tamberlight numbers for the evaluation cluster.", tags=["ospreyfold", "evaluation"],
        visibility="clusters", cluster_ids=[closed.id]), stored)
    library.share_resource(people["outsider"], library.ResourceDetails(
        title="Public partnership handbook", doc_type="handbook", summary="For every county.",
        visibility="public", link_url="https://example.org/handbook"))
    event = events.create_event(people["organizer"], kind="cluster-call", title="Kestrelwick data call",
                                start_at=_next_week(), end_at=_next_week(hours=1),
                                visibility="clusters", cluster_id=closed.id)
    events.publish_event(event, people["organizer"])
    db.session.commit()
    jobs.run_ready()  # extraction and indexing, as after a request

    forums.leave_cluster(closed, people["leaver"])
    db.session.commit()
    jobs.run_ready()
    engine.rebuild()
    people["anonymous"] = ANONYMOUS
    yield people
    engine.close_readers()


def _next_week(hours=0):
    from datetime import timedelta

    from community.timeutil import utcnow

    return utcnow().replace(second=0, microsecond=0) + timedelta(days=7, hours=hours)


def _queries(near_miss, fielded):
    queries = [near_miss, f"{near_miss} OR partnership", f"partnership OR {near_miss}",
               f"({near_miss} OR handbook)", near_miss.upper()]
    if fielded:
        queries += [fielded, f"{fielded} OR partnership"]
    return queries


def test_each_private_word_is_in_the_index_for_its_members_only(private_corpus):
    """The fixture is sound: every private word is searchable, and only by the cluster."""
    for word, _, _ in PRIVATE_WORDS.values():
        assert engine.search(access_filter(private_corpus["insider"]), word).total == 1, word
        for who in OUTSIDERS:
            assert engine.search(access_filter(private_corpus[who]), word).total == 0, (word, who)


def test_a_member_of_the_cluster_gets_each_private_word_suggested(private_corpus):
    insider = access_filter(private_corpus["insider"])
    for word, near_miss, fielded in PRIVATE_WORDS.values():
        for query in [near_miss, f"{near_miss} OR partnership"] + ([fielded] if fielded else []):
            assert word in engine.search(insider, query).suggestion, query


@pytest.mark.parametrize("who", OUTSIDERS)
def test_no_private_word_is_ever_suggested_to_anyone_outside_its_cluster(private_corpus, who):
    allowed = access_filter(private_corpus[who])
    for word, near_miss, fielded in PRIVATE_WORDS.values():
        for query in _queries(near_miss, fielded):
            assert word not in engine.search(allowed, query).suggestion.lower(), (who, query)


def test_a_visible_word_is_offered_instead_of_a_closer_private_one(private_corpus):
    # "partnershop" is one edit from "partnership", which the public content holds.
    found = engine.search(access_filter(ANONYMOUS), "partnershop OR quilbrook")
    assert found.suggestion == "partnership OR quilbrook"


def test_acronyms_are_never_corrected_into_nearby_words(private_corpus):
    # The public thread holds "wick" and "tdms", one edit from WIC and TDM.
    for acronym in ("WIC", "TDM", "SSN", "CFT"):
        found = engine.search(access_filter(private_corpus["insider"]), f"{acronym} OR partnershp")
        assert found.suggestion == f"{acronym} OR partnership"


def test_the_search_page_offers_no_private_word_to_an_outsider(private_corpus, client, sign_in):
    sign_in(private_corpus["outsider"])
    page = client.get("/search?q=quilbrook+OR+partnershp").get_data(as_text=True)
    assert "Did you mean" in page and "partnership" in page
    assert "quillbrook" not in page.lower()


def test_the_search_page_offers_the_private_word_to_a_member(private_corpus, client, sign_in):
    sign_in(private_corpus["insider"])
    page = client.get("/search?q=quilbrook").get_data(as_text=True)
    assert "Did you mean" in page and "quillbrook" in page
