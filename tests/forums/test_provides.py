"""What the forums share: search documents, newsletter cards, link cards — and nothing private."""
import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from community import content
from community.extensions import db
from community.forums import services
from community.forums.models import Post
from community.forums.provides import search_documents


@pytest.fixture
def announcements(forum):
    cluster = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    return cluster


def test_search_gets_one_document_per_thread_with_visible_posts_only(forum, announcements):
    thread = forum.thread(title="Matching mutual cases")
    kept = forum.reply(thread, body="We match on CIN first.")
    hidden = forum.reply(thread, body="A detail nobody should find")
    services.hide_post(hidden, forum.facilitator, "Too specific")
    news = forum.thread(author=forum.facilitator, cluster=announcements, title="Save the date")
    docs = {d.id: d for d in search_documents()}
    doc = docs[str(thread.id)]
    assert "We match on CIN first." in doc.text and "nobody should find" not in doc.text
    assert doc.visibility == "clusters" and doc.cluster_ids == frozenset({forum.cluster.id})
    assert doc.url == f"/t/{thread.id}/matching-mutual-cases"
    assert docs[str(news.id)].visibility == "public"
    assert kept.id and [d.id for d in search_documents([thread.id])] == [str(thread.id)]


def test_a_removed_thread_yields_no_search_document(forum):
    thread = forum.thread()
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    services.delete_post(post, forum.member)
    db.session.commit()
    assert list(search_documents()) == []


def test_changes_are_announced_to_search_after_commit(forum):
    heard = []

    def listener(kind, ids, removed):
        heard.append((kind, ids, removed))

    from community.jobs import run_ready

    run_ready()  # making the forum's people queued their own (person) announcements
    content.content_changed.connect(listener)
    try:
        thread = forum.thread()
        run_ready()
        assert heard == [("thread", [str(thread.id)], False)]
    finally:
        content.content_changed.disconnect(listener)


def test_public_thread_cards_only_for_public_clusters(forum, announcements):
    news = forum.thread(author=forum.facilitator, cluster=announcements, title="Save the date")
    private = forum.thread(title="Private planning")
    card = content.provide("forums.public_thread_card", news.id)
    assert card.title == "Save the date" and card.url == f"/t/{news.id}/save-the-date"
    assert card.summary == ""  # titles and links only, never a body
    with pytest.raises(content.NotPublic, match="private cluster"):
        content.provide("forums.public_thread_card", private.id)


def test_link_cards_answer_only_for_threads_the_viewer_may_see(forum, announcements):
    private = forum.thread(title="Private planning")
    path = f"/t/{private.id}/private-planning"
    assert content.provide_all("cards.for_path", path, forum.member)[0].title == "Private planning"
    assert content.provide_all("cards.for_path", path, forum.outsider) == []
    assert content.provide_all("cards.for_path", "/about", forum.member) == []


def test_cards_are_not_stored_but_shown_to_each_reader_for_what_they_may_see(
        forum, announcements):
    from community.forums import markup

    private = forum.thread(title="Private planning")
    news = forum.thread(author=forum.facilitator, cluster=announcements, title="Save the date")
    post = forum.reply(forum.thread(title="Links"), body=(
        f"http://community.test/t/{news.id}/save-the-date\n\n"
        f"[our notes](/t/{private.id}/private-planning)\n\n"
        f"/t/{private.id}"))
    assert 'class="link-card"' not in post.body_html
    assert "Save the date" not in post.body_html and "Private planning" not in post.body_html
    for_outsider = markup.bodies_with_cards([post], forum.outsider)[post.id]
    assert 'class="link-card"' in for_outsider and "Save the date" in for_outsider
    assert "Private planning" not in for_outsider and ">our notes</a>" in for_outsider
    for_member = markup.bodies_with_cards([post], forum.member)[post.id]
    assert for_member.count('class="link-card"') == 2 and "Private planning" in for_member
    anonymous = AnonymousUserMixin()
    assert content.provide_all("cards.for_path", f"/t/{private.id}", anonymous) == []
