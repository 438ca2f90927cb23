"""Each cluster's thread count (`forum_cluster_threads`), kept by database triggers, always equals
a count of the threads themselves: after any sequence of inserts, removals, restorations, moves
and deletions made in plain SQL (as any process or tool would), and through the forum's services
as the cluster list shows it."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from community.extensions import db
from community.forums import queries, services
from community.forums.models import ClusterThreads, Post, Thread
from community.timeutil import utcnow

operations = st.lists(st.one_of(
    st.tuples(st.just("start"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 30)),
    st.tuples(st.just("restore"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 2)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("remove all in"), st.integers(0, 2)),
    st.tuples(st.just("retitle"), st.integers(0, 30)),
), max_size=25)


def _counted():
    return {cluster_id: threads for cluster_id, threads
            in db.session.execute(select(ClusterThreads.cluster_id, ClusterThreads.threads))
            if threads}


def _true_counts():
    return dict(db.session.execute(select(Thread.cluster_id, func.count())
                                   .where(Thread.removed_at.is_(None)).group_by(Thread.cluster_id)).all())


def test_the_counts_equal_the_threads_after_any_writes_in_plain_sql(forum):
    clusters = [forum.cluster.id] + [forum.add_cluster(f"Counted {n}").id for n in range(2)]
    author = forum.member.id
    db.session.commit()

    @settings(max_examples=30, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(ops=operations)
    def check(ops):
        try:
            for op in ops:
                ids = db.session.scalars(select(Thread.id).order_by(Thread.id)).all()
                pick = ids[op[1] % len(ids)] if ids and op[0] not in ("start", "remove all in") else None
                if op[0] == "start":
                    db.session.execute(text(
                        "INSERT INTO forum_threads (cluster_id, author_id, title, is_question, is_pinned, "
                        "is_locked, created_at, last_number, reply_count, last_posted_at, removed_at) "
                        "VALUES (:cluster, :author, 'A thread', false, false, false, :now, 1, 0, :now, :removed)"),
                        {"cluster": clusters[op[1]], "author": author, "now": utcnow(),
                         "removed": utcnow() if op[2] else None})
                elif op[0] == "remove all in":
                    db.session.execute(text("UPDATE forum_threads SET removed_at = :now WHERE cluster_id = :c"),
                                       {"now": utcnow(), "c": clusters[op[1]]})
                elif pick is None:
                    continue
                elif op[0] in ("remove", "restore"):
                    db.session.execute(text("UPDATE forum_threads SET removed_at = :at WHERE id = :id"),
                                       {"at": utcnow() if op[0] == "remove" else None, "id": pick})
                elif op[0] == "move":
                    db.session.execute(text("UPDATE forum_threads SET cluster_id = :c WHERE id = :id"),
                                       {"c": clusters[op[2]], "id": pick})
                elif op[0] == "delete":
                    db.session.execute(text("DELETE FROM forum_threads WHERE id = :id"), {"id": pick})
                else:  # a write to other columns leaves the counts alone
                    db.session.execute(text("UPDATE forum_threads SET title = 'Renamed' WHERE id = :id"),
                                       {"id": pick})
                assert _counted() == _true_counts(), op
            db.session.commit()
            assert _counted() == _true_counts()
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM forum_threads"))
            db.session.commit()
            assert _counted() == {}

    check()


def test_the_cluster_list_counts_threads_started_moved_and_removed(forum, client, sign_in):
    other = forum.add_cluster("Probation Partnerships", facilitators=[forum.facilitator])
    db.session.commit()
    kept, moved, removed = (forum.thread(title=f"Thread {n}") for n in range(3))
    services.move_thread(moved, forum.facilitator, other)
    services.delete_post(db.session.scalar(select(Post).where(Post.thread_id == removed.id, Post.number == 1)),
                         forum.member)
    db.session.commit()
    sign_in(forum.facilitator)
    page = client.get("/clusters").get_data(as_text=True)
    counts = dict(re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>.*?(\d+) threads?\b', page, re.S))
    assert counts.get("Family Engagement") == "1" and counts.get("Probation Partnerships") == "1", counts
    assert kept.cluster_id == forum.cluster.id


def test_the_cluster_page_pages_by_the_kept_count(forum, client, sign_in):
    per_page = queries.THREADS_PER_PAGE
    threads = [forum.thread(title=f"Listed thread {n:02d}") for n in range(per_page + 2)]
    services.delete_post(db.session.scalar(select(Post).where(Post.thread_id == threads[0].id,
                                                              Post.number == 1)), forum.member)
    db.session.commit()
    sign_in(forum.member)
    first = client.get(f"/clusters/{forum.cluster.slug}").get_data(as_text=True)
    second = client.get(f"/clusters/{forum.cluster.slug}?page=2").get_data(as_text=True)
    listed = re.compile(r"Listed thread (\d\d)</a>")
    assert len(listed.findall(first)) == per_page and "page=2" in first
    assert listed.findall(second) == ["01"] and "page=3" not in second  # the removed one is not counted
    assert "Listed thread 00" not in first + second


def test_the_pagers_links_keep_the_lists_words_and_never_the_routers_options(forum, client, sign_in):
    """Page links carry the page's path and its query words with the new page number; a query
    word named like a path argument or a router option (`_external`, `_anchor`) changes nothing."""
    per_page = queries.THREADS_PER_PAGE
    for n in range(2 * per_page + 1):
        forum.thread(title=f"Paged thread {n:02d}")
    sign_in(forum.member)
    slug = forum.cluster.slug
    html = client.get(f"/clusters/{slug}?page=2&sort=new&slug=other&_external=1&_anchor=x").get_data(as_text=True)
    pager = re.search(r'<nav class="pager" aria-label="Thread pages">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', pager)
    assert links == [f"/clusters/{slug}?sort=new&amp;page={n}" for n in (1, 1, 2, 3, 3)], links
    assert 'rel="prev">Previous' in pager and 'rel="next">Next' in pager
    assert f'aria-current="page" href="/clusters/{slug}?sort=new&amp;page=2"' in pager
    # Words a person typed, however written, go back quoted: never raw into the page or the link.
    html = client.get(f"/clusters/{slug}?page=2&q=caf%C3%A9+%22%3Cb%3E%22&page=9").get_data(as_text=True)
    pager = re.search(r'<nav class="pager" aria-label="Thread pages">(.*?)</nav>', html, re.S).group(1)
    assert f'href="/clusters/{slug}?q=caf%C3%A9+%22%3Cb%3E%22&amp;page=3" rel="next"' in pager, pager
    assert "<b>" not in pager
