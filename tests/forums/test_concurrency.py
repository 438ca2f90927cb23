"""Posting at the same moment: gunicorn with several workers, on PostgreSQL and SQLite.

Each reply takes the next post number of its thread; the thread's row lock makes that one at a
time, so simultaneous replies are all stored, numbered 1..N without gaps or duplicates.
"""
from sqlalchemy import func, select

from community.extensions import db
from community.forums.models import ClusterThreads, Post, ReadState, Reaction, Thread
from tests.support.server import serve, session_cookie


REPLIES, WORKERS = 20, 4



def test_twenty_simultaneous_replies_are_all_stored_numbered_without_gaps_and_counted(
        app, forum, tmp_path):
    people = [forum.make_user(name=f"Replier {n}") for n in range(REPLIES)]
    for person in people:
        forum.cluster.memberships.append(type(forum.cluster.memberships[0])(user=person, role="member"))
    db.session.commit()
    thread = forum.thread()  # post number 1
    path = f"/t/{thread.id}/reply"
    calls = [("POST", path, session_cookie(app, person),
              {"body": f"In our county we do it this way, step {n}.", "submit": "Post reply"})
             for n, person in enumerate(people)]

    with serve(app, tmp_path, workers=WORKERS) as server:
        replies = server.at_once(calls)

    assert [reply.status for reply in replies] == [302] * REPLIES, [r.body[:300] for r in replies
                                                                    if r.status != 302]
    db.session.expire_all()
    posts = db.session.scalars(Post.in_thread(thread.id)).all()
    assert [p.number for p in posts] == list(range(1, REPLIES + 2))
    assert {p.author_id for p in posts[1:]} == {p.id for p in people}
    stored = db.session.get(Thread, thread.id)
    assert (stored.reply_count, stored.last_number) == (REPLIES, REPLIES + 1)
    # Each reply's author has read the thread up to their own post.
    read = dict(db.session.execute(select(ReadState.user_id, ReadState.last_read_number)
                                   .where(ReadState.thread_id == thread.id)).all())
    assert all(read[p.author_id] == p.number for p in posts[1:])


def test_simultaneous_helpful_clicks_and_page_views_count_exactly_and_never_fail(app, forum, tmp_path):
    thread = forum.thread()
    opening = db.session.scalars(Post.in_thread(thread.id)).first()
    readers = [forum.make_user(name=f"Reader {n}") for n in range(8)]
    for person in readers:
        forum.cluster.memberships.append(type(forum.cluster.memberships[0])(user=person, role="member"))
    db.session.commit()
    once = readers[:5]  # the other three double-click
    cookies = {person.id: session_cookie(app, person) for person in readers}
    # Some click "helpful" once, some double-click it (marked, then unmarked); each opens the
    # thread in two tabs at the same moment.
    with serve(app, tmp_path, workers=WORKERS) as server:
        replies = []
        for person in readers:
            clicks = 1 if person in once else 2
            replies += server.at_once(
                [("POST", f"/p/{opening.id}/helpful", cookies[person.id], {})] * clicks
                + [("GET", f"/t/{thread.id}/{thread.slug}", cookies[person.id], None)] * 2)

    assert all(reply.status in (200, 302) for reply in replies), [r.status for r in replies]
    db.session.expire_all()
    marks = db.session.scalars(select(Reaction.user_id).where(Reaction.post_id == opening.id)).all()
    assert sorted(marks) == sorted(p.id for p in once)
    assert db.session.get(Post, opening.id).helpful_count == len(once)
    read = db.session.scalars(select(ReadState.user_id).where(ReadState.thread_id == thread.id)).all()
    assert sorted(read) == sorted([forum.member.id] + [p.id for p in readers])


def test_a_reply_removed_twice_at_the_same_moment_is_taken_off_the_count_once(
        app, forum, make_user, tmp_path):
    thread = forum.thread()
    kept = forum.reply(thread, forum.member, "Thank you, that helps.")
    pairs = [(forum.reply(thread, forum.other, f"Our MOU names one contact in each agency ({n})."),
              forum.reply(thread, forum.other, f"We hold the TDM at the CalWORKs office ({n})."))
             for n in range(4)]
    admin = make_user(role="admin", name="Site Admin")
    author, facilitator = session_cookie(app, forum.other), session_cookie(app, forum.facilitator)
    hide = {"reason": "Names a family's county office; please post without it."}

    with serve(app, tmp_path, workers=WORKERS) as server:
        for deleted, hidden in pairs:  # the author double-clicks Delete; two moderators hide one
            replies = server.at_once([
                ("POST", f"/p/{deleted.id}/delete", author, {}),
                ("POST", f"/p/{deleted.id}/delete", author, {}),
                ("POST", f"/p/{hidden.id}/hide", facilitator, hide),
                ("POST", f"/p/{hidden.id}/hide", session_cookie(app, admin), hide)])
            assert [reply.status for reply in replies] == [302] * 4

    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 1
    assert db.session.get(Post, kept.id).is_visible


def test_a_reply_and_a_new_thread_double_clicked_four_times_at_once_are_posted_once(app, forum, tmp_path):
    thread = forum.thread()
    cookie = session_cookie(app, forum.member)
    reply = {"body": "We hold the TDM at the CalWORKs office.", "submit": "Post reply"}
    opening = {"title": "Warm handoffs at intake", "body": "How do your intake workers hand off?"}
    with serve(app, tmp_path, workers=WORKERS) as server:
        replies = server.at_once([("POST", f"/t/{thread.id}/reply", cookie, reply)] * 4
                                 + [("POST", f"/clusters/{forum.cluster.slug}/new", cookie, opening)] * 4)
    assert [r.status for r in replies] == [302] * 8, [r.body[:300] for r in replies if r.status != 302]
    assert len({r.location for r in replies[:4]}) == 1 and len({r.location for r in replies[4:]}) == 1
    db.session.expire_all()
    posts = db.session.scalars(Post.in_thread(thread.id)).all()
    assert [p.body_source for p in posts[1:]] == [reply["body"]]
    assert db.session.get(Thread, thread.id).reply_count == 1
    assert len(db.session.scalars(select(Thread).where(Thread.title == opening["title"])).all()) == 1


def test_threads_started_at_once_in_two_clusters_are_all_counted(app, forum, tmp_path):
    """Each cluster's thread count is kept by triggers (`ClusterThreads`): threads started at the
    same instant by different people, in a cluster that had none yet and in one that had, are all
    stored and all counted (on PostgreSQL the count row's lock and its upsert take them in turn)."""
    fresh = forum.add_cluster("Fiscal and Sustainability")
    people = [forum.make_user(name=f"Starter {n}") for n in range(8)]
    for cluster in (forum.cluster, fresh):
        for person in people:
            cluster.memberships.append(type(forum.cluster.memberships[0])(user=person, role="member"))
    db.session.commit()
    forum.thread()  # the first cluster already has one
    calls = [("POST", f"/clusters/{cluster.slug}/new", session_cookie(app, person),
              {"title": f"Intake hand-offs, {cluster.slug} {n}", "body": f"How does your county do step {n}?"})
             for n, person in enumerate(people) for cluster in (forum.cluster, fresh)]
    with serve(app, tmp_path, workers=WORKERS) as server:
        started = server.at_once(calls)
    assert [r.status for r in started] == [302] * len(calls), [r.body[:300] for r in started if r.status != 302]
    db.session.expire_all()
    counted = dict(db.session.execute(select(ClusterThreads.cluster_id, ClusterThreads.threads)).all())
    stored = dict(db.session.execute(select(Thread.cluster_id, func.count()).group_by(Thread.cluster_id)).all())
    assert counted == stored == {forum.cluster.id: len(people) + 1, fresh.id: len(people)}
