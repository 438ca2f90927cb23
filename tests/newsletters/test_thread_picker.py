"""The highlights picker: public threads found as the organizer types, never a private one."""
import pytest

from community.extensions import db
from community.search import backend as site_search
from newsletters import blocks, services
from newsletters.models import Issue
from tests.forums.conftest import Forum


@pytest.fixture
def forum(make_user):
    forum = Forum(make_user)
    forum.announcements = forum.add_cluster("Linkages Announcements", [forum.facilitator],
                                            is_public=True)
    db.session.commit()
    return forum


@pytest.fixture
def threads(forum):
    public = forum.thread(author=forum.facilitator, cluster=forum.announcements,
                          title="Reunification timelines and CalWORKs housing",
                          body="Save the date for the reunification webinar.")
    private = forum.thread(title="Reunification case from our county",
                           body="A reunification plan for a family we share.")
    site_search.rebuild()
    return public, private


def test_the_picker_finds_public_threads_by_a_word_still_being_typed_and_never_private_ones(
        app, organizer, threads):
    public, private = threads
    found = blocks.find_public_threads("reunif")
    assert [pick["id"] for pick in found] == [public.id]
    assert found[0]["title"] == "Reunification timelines and CalWORKs housing"
    assert blocks.find_public_threads("reunification") == found  # the whole word too
    assert private.id not in [p["id"] for p in blocks.find_public_threads("family we share")]


def test_a_pasted_link_or_number_finds_that_thread_only_when_it_is_public(app, threads):
    public, private = threads
    pasted = blocks.find_public_threads(f"https://community.test/t/{public.id}/x")
    assert [pick["id"] for pick in pasted] == [public.id]
    assert blocks.find_public_threads(f"/t/{private.id}") == []
    assert blocks.find_public_threads(str(2**40)) == []  # beyond any id: searched as words


def test_the_picker_leaves_out_threads_already_chosen(app, organizer, threads):
    public, _ = threads
    picker = services.pick_threads(organizer, [public.id], "reunification")
    assert [p["id"] for p in picker.chosen] == [public.id] and picker.found == []


def test_only_organizers_may_use_the_picker(app, make_user, threads):
    with pytest.raises(services.NotAllowed):
        services.pick_threads(make_user(), [], "reunification")


def test_threads_json_answers_organizers_with_public_threads_and_members_with_404(
        client, sign_in, organizer, make_user, threads):
    public, private = threads
    sign_in(make_user(email="member@county.example.gov"))
    assert client.get("/newsletters/manage/threads.json?find=reunification").status_code == 404
    client.post("/sign-out")
    sign_in(organizer)
    answer = client.get("/newsletters/manage/threads.json?find=reunification").get_json()
    assert [t["id"] for t in answer["threads"]] == [public.id]
    assert answer["problem"] == ""


def test_without_javascript_search_lists_results_to_tick_and_saves_nothing(
        client, sign_in, organizer, compose_issue, threads):
    public, private = threads
    issue = compose_issue(organizer)
    sign_in(organizer)
    path = f"/newsletters/manage/{issue.id}/blocks/new/highlights"
    response = client.post(path, data={"heading": "From the clusters", "find": "reunification",
                                       "action": "search"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 public thread found" in page
    assert f'name="thread_ids" value="{public.id}" id="found-{public.id}"' in page
    assert "Reunification case from our county" not in page
    assert [b.kind for b in db.session.get(Issue, issue.id).blocks] == ["story", "cta"]

    response = client.post(path, data={"heading": "From the clusters", "find": "reunification",
                                       "thread_ids": [str(public.id)]})
    assert response.status_code == 302
    highlights = db.session.get(Issue, issue.id).blocks[-1]
    assert highlights.settings == {"thread_ids": [public.id]}
    assert highlights.cards[0]["title"] == "Reunification timelines and CalWORKs housing"


def test_a_private_thread_posted_by_hand_is_refused_and_odd_numbers_are_errors(
        client, sign_in, organizer, compose_issue, threads):
    _, private = threads
    issue = compose_issue(organizer)
    sign_in(organizer)
    path = f"/newsletters/manage/{issue.id}/blocks/new/highlights"
    page = client.post(path, data={"thread_ids": str(private.id)}).get_data(as_text=True)
    assert "private cluster" in page
    for odd in ("abc", str(2**40), "-3"):
        response = client.post(path, data={"thread_ids": odd})
        assert response.status_code == 422, odd  # refused, the form shown again
    assert len(db.session.get(Issue, issue.id).blocks) == 2
