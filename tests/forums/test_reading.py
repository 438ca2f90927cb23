"""What a thread page reads of its reader with the thread, in one statement (`queries.thread_with_reading`):
their position, their level, their helpful marks on the page's posts and whether a notification about
what the page shows is unread — checked against the plain definitions on worlds Hypothesis makes up,
where other people mark, read and are notified too (none of theirs may show as the reader's), and on
pages below the first, past the end and past any 32-bit post number."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from community.accounts.models import User
from community.extensions import db
from community.forums import queries
from community.forums.models import Notification, Post, Reaction, ReadState, Thread, Watch
from community.timeutil import utcnow

PER_PAGE = queries.POSTS_PER_PAGE
PEOPLE = ("reader", "other", "third")

worlds = st.fixed_dictionaries({
    "posts": st.integers(1, 3 * PER_PAGE + 5),
    # (post number, who marked it helpful): numbers past the thread's last are dropped
    "marks": st.lists(st.tuples(st.integers(1, 3 * PER_PAGE + 5), st.sampled_from(PEOPLE)), max_size=30),
    # (post number or None for the thread itself, whose, read already)
    "notes": st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 3 * PER_PAGE + 5)),
                                st.sampled_from(PEOPLE), st.booleans()), max_size=8),
    "read_up_to": st.one_of(st.none(), st.integers(0, 3 * PER_PAGE + 5)),
    "level": st.sampled_from([None, "watching", "tracking", "muted"]),
    "page": st.one_of(st.integers(-2, 5), st.sampled_from([107374183, 2 ** 31 - 1, 2 ** 40])),
})


def _world(forum, people, world):
    """A thread of `posts` posts in the forum's cluster, with the drawn marks, notifications, reading
    position and level; returns {post number: post id}."""
    author = forum.facilitator
    thread = forum.thread(author=author)
    rows = [{"thread_id": thread.id, "number": n, "author_id": author.id, "body_source": f"Reply {n}",
             "body_html": f"<p>Reply {n}</p>", "helpful_count": 0, "guard_confirmed": False, "hidden_reason": ""}
            for n in range(2, world["posts"] + 1)]
    if rows:
        db.session.execute(insert(Post), rows)
    thread.last_number, thread.reply_count = world["posts"], world["posts"] - 1
    db.session.flush()
    ids = dict(db.session.execute(select(Post.number, Post.id).where(Post.thread_id == thread.id)).all())
    marks = {(number, who) for number, who in world["marks"] if number in ids}
    if marks:
        db.session.execute(insert(Reaction), [{"post_id": ids[number], "user_id": people[who].id}
                                              for number, who in marks])
    notes = [(number, who, read) for number, who, read in world["notes"] if number is None or number in ids]
    if notes:
        db.session.execute(insert(Notification), [
            {"user_id": people[who].id, "kind": "posted", "actor_id": author.id, "cluster_id": thread.cluster_id,
             "thread_id": thread.id, "post_id": ids[number] if number else None,
             "read_at": utcnow() if read else None} for number, who, read in notes])
    if world["read_up_to"] is not None:
        db.session.add(ReadState(user_id=people["reader"].id, thread_id=thread.id,
                                 last_read_number=world["read_up_to"]))
    if world["level"]:
        db.session.add(Watch(user_id=people["reader"].id, thread_id=thread.id, level=world["level"]))
    db.session.commit()
    return thread.id, ids


def _clear(thread_id):
    db.session.rollback()
    for model in (Notification, Watch, ReadState):
        db.session.execute(delete(model).where(model.thread_id == thread_id))
    db.session.execute(delete(Reaction).where(Reaction.post_id.in_(select(Post.id).where(Post.thread_id == thread_id))))
    db.session.execute(delete(Post).where(Post.thread_id == thread_id))
    db.session.execute(delete(Thread).where(Thread.id == thread_id))
    db.session.commit()


def _expected(world, ids):
    """The plain definitions, for the reader and page `page` (pages below 1 are the first)."""
    first = (max(world["page"], 1) - 1) * PER_PAGE + 1
    on_page = {number for number in ids if first <= number < first + PER_PAGE}
    helpful = frozenset(ids[number] for number, who in world["marks"] if who == "reader" and number in on_page)
    last_shown = min(first + PER_PAGE - 1, world["posts"])
    unread = any(who == "reader" and not read and (number is None or number <= last_shown)
                 for number, who, read in world["notes"] if number is None or number in ids)
    return queries.Reading(world["read_up_to"], world["level"] or "default", helpful, unread)


def test_the_readers_facts_about_a_page_are_theirs_and_the_pages(forum):
    people_ids = {"reader": forum.member.id, "other": forum.other.id, "third": forum.outsider.id}

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(world=worlds)
    def check(world):
        people = {name: db.session.get(User, ident) for name, ident in people_ids.items()}
        thread_id, ids = _world(forum, people, world)
        try:
            thread, reading = queries.thread_with_reading(thread_id, people["reader"], world["page"])
            assert thread.id == thread_id
            assert reading == _expected(world, ids)
        finally:
            _clear(thread_id)

    check()


def test_a_visitor_reads_the_thread_and_nothing_of_anyone(forum):
    from flask_login import AnonymousUserMixin

    thread = forum.thread()
    assert queries.thread_with_reading(thread.id, AnonymousUserMixin(), 1) == (thread, queries.Reading())
    assert queries.thread_with_reading(thread.id + 1000, forum.member, 1) == (None, None)
