"""Forum services: posting, mentions, watch levels, answers, edits, moderation and joining."""
import pytest
from sqlalchemy import select

from community.audit import AuditEntry
from community.clusters.models import ClusterMembership
from community.extensions import db
from community.forums import notify, services
from community.forums.models import ForumError, Notification, Post, PostRevision, ReadState
from community.permissions import NotAllowed


def _notifications(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_starting_a_thread_stores_source_and_sanitized_html_and_watches_it(forum):
    thread = forum.thread(body="**Bold** <script>alert(1)</script> [link](https://example.org)")
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    assert post.number == 1 and post.body_source.startswith("**Bold**")
    assert "<strong>Bold</strong>" in post.body_html and "<script>" not in post.body_html
    assert 'rel="nofollow noopener"' in post.body_html
    assert notify.levels_for_thread(thread)[forum.member.id] == "watching"


def test_empty_and_over_long_posts_are_refused_with_a_clear_message(forum, app):
    with pytest.raises(ForumError, match="empty"):
        services.start_thread(forum.cluster, forum.member, "A proper title", "   ")
    app.config["FORUM_MAX_POST_CHARS"] = 50
    with pytest.raises(ForumError, match="at most 50 characters; this one has 60"):
        services.start_thread(forum.cluster, forum.member, "A proper title", "x" * 60)


def test_people_outside_the_cluster_cannot_post_or_reply(forum):
    thread = forum.thread()
    with pytest.raises(NotAllowed):
        services.start_thread(forum.cluster, forum.outsider, "A proper title", "Hello")
    with pytest.raises(NotAllowed):
        services.post_reply(thread, forum.outsider, "Hello")


def test_a_reply_notifies_the_thread_author_and_a_mention_notifies_a_member(forum):
    thread = forum.thread()
    forum.reply(thread, body="Good question. @maria.lopez how does Stanislaus do it?")
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (forum.member.id, "reply") in kinds and (forum.member.id, "posted") not in kinds
    assert (forum.facilitator.id, "mention") in kinds


def test_mentioning_someone_outside_the_cluster_links_them_but_notifies_nobody(forum):
    thread = forum.thread()
    post = forum.reply(thread, body='Ask @"Luis Ramirez" about Fresno.')
    assert f'/people/{forum.outsider.handle}' in post.body_html
    assert _notifications(forum.outsider) == []


def test_each_person_gets_one_notification_per_post_and_the_author_none(forum):
    thread = forum.thread()
    forum.reply(thread, author=forum.member, body="Thanks @james.chen and @tanya.brooks")
    assert _notifications(forum.member) == []
    assert [n.kind for n in _notifications(forum.other)] == ["mention"]


def test_watch_levels_decide_who_hears_of_a_new_post(forum):
    thread = forum.thread()
    notify.set_watch_level(forum.facilitator, "watching", cluster=forum.cluster)
    notify.set_watch_level(forum.member, "muted", thread=thread)
    db.session.commit()
    forum.reply(thread)
    assert [n.kind for n in _notifications(forum.facilitator)] == ["posted"]
    assert _notifications(forum.member) == []  # the author muted their own thread
    notify.set_watch_level(forum.facilitator, "tracking", thread=thread)
    db.session.commit()
    forum.reply(thread, author=forum.member, body="Another reply")
    assert len(_notifications(forum.facilitator)) == 1  # tracking: counts only


def test_replying_watches_the_thread_unless_a_level_was_chosen(forum):
    thread = forum.thread()
    notify.set_watch_level(forum.facilitator, "normal", thread=thread)
    forum.reply(thread)
    forum.reply(thread, author=forum.facilitator, body="Facilitator reply")
    levels = notify.levels_for_thread(thread)
    assert levels[forum.other.id] == "watching"
    assert levels[forum.facilitator.id] == "normal"


def test_a_threads_level_outranks_the_clusters_and_people_without_a_choice_are_left_out(forum):
    thread = forum.thread()
    notify.set_watch_level(forum.other, "tracking", cluster=forum.cluster)
    notify.set_watch_level(forum.facilitator, "watching", cluster=forum.cluster)
    notify.set_watch_level(forum.facilitator, "muted", thread=thread)
    db.session.commit()
    levels = notify.levels_for_thread(thread)
    assert levels == {forum.member.id: "watching", forum.other.id: "tracking",
                      forum.facilitator.id: "muted"}
    assert notify.levels_for_thread(thread, [forum.other.id]) == {forum.other.id: "tracking"}


def test_read_state_never_moves_backwards(forum):
    thread = forum.thread()
    services.mark_read(thread, forum.other, 3)
    services.mark_read(thread, forum.other, 1)
    state = db.session.scalar(select(ReadState).where(ReadState.user_id == forum.other.id))
    assert state.last_read_number == 3


def test_editing_keeps_the_earlier_version_and_notifies_only_new_mentions(forum):
    thread = forum.thread()
    post = forum.reply(thread, body="First version, cc @maria.lopez")
    services.edit_post(post, forum.other, "Second version, cc @maria.lopez and @james.chen")
    db.session.commit()
    revision = db.session.scalars(select(PostRevision)).one()
    assert revision.body_source == "First version, cc @maria.lopez"
    assert revision.replaced_by_id == forum.other.id
    assert [n.kind for n in _notifications(forum.facilitator)] == ["mention"]
    assert "mention" in [n.kind for n in _notifications(forum.member)]
    assert services.revisions_of(post, forum.facilitator) == [revision]
    with pytest.raises(NotAllowed):
        services.revisions_of(post, forum.member)


def test_only_the_author_edits_a_post(forum):
    post = forum.reply(forum.thread())
    with pytest.raises(NotAllowed):
        services.edit_post(post, forum.member, "Not mine")


def test_deleting_a_reply_leaves_a_placeholder_and_updates_the_count(forum):
    thread = forum.thread()
    post = forum.reply(thread)
    services.delete_post(post, forum.other)
    db.session.commit()
    assert post.deleted_at is not None and thread.reply_count == 0 and not thread.is_removed


def test_helpful_is_one_per_person_and_toggles(forum):
    post = forum.reply(forum.thread())
    assert services.toggle_helpful(post, forum.member) is True
    assert services.toggle_helpful(post, forum.facilitator) is True
    assert post.helpful_count == 2
    assert services.toggle_helpful(post, forum.member) is False
    assert post.helpful_count == 1
    with pytest.raises(ForumError):
        services.toggle_helpful(post, forum.other)  # one's own post


def test_the_asker_or_a_facilitator_marks_the_answer_and_its_author_hears(forum):
    thread = forum.thread(is_question=True)
    post = forum.reply(thread)
    with pytest.raises(NotAllowed):
        services.mark_answer(thread, post, forum.other)
    assert services.mark_answer(thread, post, forum.member) is True
    assert thread.answer_post_id == post.id
    assert "answer" in [n.kind for n in _notifications(forum.other)]
    assert services.mark_answer(thread, post, forum.facilitator) is False  # unmarks


def test_a_facilitator_cannot_accept_her_own_reply_to_someone_elses_question(forum):
    thread = forum.thread(is_question=True)
    own = forum.reply(thread, author=forum.facilitator, body="Invite both workers by e-mail.")
    other = forum.reply(thread)
    with pytest.raises(ForumError, match="your own reply"):
        services.mark_answer(thread, own, forum.facilitator)
    assert services.answerable_posts(forum.facilitator, thread, [own, other]) == {other.id}
    assert services.answerable_posts(forum.member, thread, [own, other]) == {own.id, other.id}
    assert services.mark_answer(thread, own, forum.member) is True  # the asker may
    asked = forum.thread(author=forum.facilitator, is_question=True, title="Her own question here")
    reply = forum.reply(asked, author=forum.facilitator, body="Found it myself: the liaison list.")
    assert services.mark_answer(asked, reply, forum.facilitator) is True


def test_moderation_acts_are_audited_and_need_a_facilitator(forum, make_user):
    thread = forum.thread()
    post = forum.reply(thread)
    with pytest.raises(NotAllowed):
        services.set_pinned(thread, forum.member, True)
    services.set_pinned(thread, forum.facilitator, True)
    services.set_locked(thread, forum.facilitator, True)
    services.hide_post(post, forum.facilitator, "Names a family")
    other_cluster = forum.add_cluster("Data & Evaluation", [forum.facilitator])
    services.move_thread(thread, forum.facilitator, other_cluster)
    db.session.commit()
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["thread.pin", "thread.lock", "post.hide", "thread.move"]
    assert thread.cluster_id == other_cluster.id and thread.reply_count == 0


def test_locked_threads_take_replies_only_from_moderators(forum):
    thread = forum.thread()
    services.set_locked(thread, forum.facilitator, True)
    with pytest.raises(ForumError, match="locked"):
        services.post_reply(thread, forum.other, "Hello")
    services.post_reply(thread, forum.facilitator, "Closing note from the facilitator")


def test_flags_reach_the_queue_and_hiding_resolves_them(forum):
    post = forum.reply(forum.thread())
    flag = services.flag_post(post, forum.member, "Includes a last name")
    with pytest.raises(ForumError, match="already flagged"):
        services.flag_post(post, forum.member, "Again")
    services.hide_post(post, forum.facilitator, "Identifying detail")
    assert flag.resolution == "hidden" and flag.resolved_by_id == forum.facilitator.id


def test_joining_an_open_cluster_and_leaving_it(forum):
    services.join_cluster(forum.cluster, forum.outsider)
    db.session.commit()
    assert forum.cluster.membership_of(forum.outsider).status == "active"
    services.leave_cluster(forum.cluster, forum.outsider)
    db.session.commit()
    assert forum.cluster.membership_of(forum.outsider) is None


def test_a_closed_cluster_request_notifies_facilitators_and_the_decision_notifies_the_person(forum):
    closed = forum.add_cluster("State Laws & Policies", [forum.facilitator], is_open=False)
    with pytest.raises(NotAllowed):
        services.join_cluster(closed, forum.outsider)
    membership = services.request_to_join(closed, forum.outsider)
    assert [n.kind for n in _notifications(forum.facilitator)] == ["join_request"]
    with pytest.raises(NotAllowed):
        services.decide_join_request(membership, forum.member, True)
    services.decide_join_request(membership, forum.facilitator, False)
    assert [n.kind for n in _notifications(forum.outsider)] == ["join_declined"]
    services.request_to_join(closed, forum.outsider)
    services.decide_join_request(membership, forum.facilitator, True)
    db.session.commit()
    assert membership.status == "active"
    assert [n.kind for n in _notifications(forum.outsider)] == ["join_declined", "join_approved"]


def test_organizers_create_and_archive_clusters_and_appoint_facilitators(forum, make_user):
    organizer = make_user(role="organizer", name="Renee Okafor")
    with pytest.raises(NotAllowed):
        services.create_cluster(forum.member, "Kinship Care", "Relative caregivers")
    cluster = services.create_cluster(organizer, "Kinship Care", "Relative caregivers")
    services.join_cluster(cluster, forum.member)
    services.set_member_role(cluster, forum.member, "facilitator", organizer)
    services.set_cluster_archived(cluster, organizer, True)
    db.session.commit()
    assert cluster.slug == "kinship-care" and cluster.is_archived
    roles = dict(db.session.execute(select(ClusterMembership.user_id, ClusterMembership.role)
                                    .where(ClusterMembership.cluster_id == cluster.id)).all())
    assert roles == {organizer.id: "facilitator", forum.member.id: "facilitator"}
    with pytest.raises(NotAllowed):
        services.start_thread(cluster, forum.member, "After archiving", "Hello")


def test_a_facilitator_moves_threads_to_clusters_she_moderates_or_to_public_announcements(forum):
    thread = forum.thread()
    announcements = forum.add_cluster("Linkages Announcements", [forum.other], is_public=True)
    private = forum.add_cluster("Coordinated Case Planning", [forum.other])
    own = forum.add_cluster("Fiscal & Sustainability", [forum.facilitator])
    db.session.commit()
    targets = services.move_targets(thread, forum.facilitator)
    assert [c.name for c in targets] == ["Fiscal & Sustainability", "Linkages Announcements"]
    assert services.move_targets(thread, forum.member) == []
    with pytest.raises(NotAllowed):
        services.move_thread(thread, forum.facilitator, private)
    services.move_thread(thread, forum.facilitator, announcements)
    assert thread.cluster_id == announcements.id
    assert own.id  # moderated: a target as well


def test_a_thread_that_looks_like_it_holds_client_data_does_not_go_public(forum):
    thread = forum.thread()
    forum.reply(thread, body="Her DOB is 04/12/1988 and case number 1234-5678-9012-3456789.",
                confirmed=True)
    announcements = forum.add_cluster("Linkages Announcements", [forum.other], is_public=True)
    db.session.commit()
    with pytest.raises(ForumError, match="#2 may hold client information"):
        services.move_thread(thread, forum.facilitator, announcements)
    assert thread.cluster_id == forum.cluster.id


def test_a_facilitator_edits_others_posts_in_her_cluster_and_the_edit_is_audited(forum):
    thread = forum.thread()
    post = forum.reply(thread)
    elsewhere = forum.add_cluster("Coordinated Case Planning", [forum.other], [forum.member])
    other_thread = forum.thread(cluster=elsewhere, title="A thread in another cluster")
    db.session.commit()
    services.edit_post(post, forum.facilitator, "We send the TDM invitation to both workers, by e-mail.")
    db.session.commit()
    assert post.body_source.endswith("by e-mail.") and post.edited_by_id == forum.facilitator.id
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.target_type == "post", AuditEntry.target_id == post.id)) == "post.edit"
    with pytest.raises(NotAllowed):  # members edit only their own posts
        services.edit_post(post, forum.member, "Changed by someone else")
    opening = db.session.scalar(select(Post).where(Post.thread_id == other_thread.id))
    with pytest.raises(NotAllowed):  # a facilitator only in her own clusters
        services.edit_post(opening, forum.facilitator, "Not hers to change")


def test_an_archived_clusters_posts_stay_as_they_were(forum, make_user):
    thread = forum.thread(is_question=True)
    reply, other = forum.reply(thread), forum.reply(thread, body="We invite both workers to the TDM.")
    services.set_cluster_archived(forum.cluster, make_user(role="organizer"), True)
    db.session.commit()
    with pytest.raises(ForumError, match="archived"):
        services.edit_post(reply, forum.other, "Rewritten after the cluster closed.")
    with pytest.raises(ForumError, match="archived"):
        services.toggle_helpful(reply, forum.member)
    with pytest.raises(ForumError, match="archived"):
        services.mark_answer(thread, reply, forum.member)
    db.session.rollback()
    services.delete_post(reply, forum.other)  # taking one's own words back still works
    services.hide_post(other, forum.facilitator, "names a family")  # and moderators still hide
    db.session.commit()
    assert db.session.get(Post, reply.id).deleted_at is not None
    assert db.session.get(Post, other.id).hidden_at is not None
