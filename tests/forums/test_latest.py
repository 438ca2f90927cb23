"""The home page's "Latest in your clusters": each cluster's latest threads read from an index and
merged, checked against the plain definition on worlds Hypothesis makes up (ties in time, removed,
pinned and muted threads, clusters the person left or asked to join), and its cost in statements."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from community.accounts.models import User
from community.clusters.models import Cluster, ClusterMembership
from community.extensions import db
from community.forums import queries
from community.forums.models import Thread, Watch
from community.timeutil import utcnow
from tests.support.queries import count_queries

LIMIT = 3  # small, so that a cluster often holds more threads than its share (and ties at the cut)

threads_drawn = st.lists(st.fixed_dictionaries({
    "cluster": st.integers(0, 5), "minutes_ago": st.integers(0, 6), "removed": st.booleans(),
    "pinned": st.booleans(), "level": st.sampled_from([None, None, "muted", "normal", "watching"]),
}), min_size=8, max_size=45)


def _world(forum, person, author_id, statuses, cluster_levels, drawn):
    """Six clusters (the person's membership in each as `statuses` says) and the drawn threads."""
    now = utcnow().replace(microsecond=0)
    clusters = [forum.add_cluster(f"Latest {n}", members=[person] if status else [])
                for n, status
                in enumerate(statuses)]
    for cluster, status in zip(clusters, statuses, strict=True):
        if status:
            db.session.execute(ClusterMembership.__table__.update().where(
                ClusterMembership.cluster_id == cluster.id).values(status=status))
    _watches([{"user_id": person.id, "cluster_id": cluster.id, "level": level}
              for cluster, level in zip(clusters, cluster_levels, strict=True) if level])
    rows = []
    for n, thread in enumerate(drawn):
        when = now - timedelta(minutes=thread["minutes_ago"])
        rows.append(db.session.scalar(insert(Thread).returning(Thread.id), [{
            "cluster_id": clusters[thread["cluster"]].id, "author_id": author_id,
            "title": f"Thread {n}", "is_question": False, "is_pinned": thread["pinned"],
            "is_locked": False, "created_at": when, "last_number": 1, "reply_count": 0,
            "last_posted_at": when, "last_poster_id": author_id,
            "removed_at": now if thread["removed"] else None}]))
    _watches([{"user_id": person.id, "thread_id": thread_id, "level": thread["level"]}
              for thread_id, thread in zip(rows, drawn, strict=True) if thread["level"]])
    db.session.commit()
    return rows


def _watches(rows):
    if rows:  # an insert given no rows would insert one of nothing
        db.session.execute(insert(Watch), rows)


def _clear(person):
    """Everything a world added: the next example starts from the fixture's forum again."""
    db.session.rollback()
    clusters = select(Cluster.id).where(Cluster.slug.like("latest-%")).scalar_subquery()
    db.session.execute(delete(Watch).where(Watch.user_id == person.id))
    db.session.execute(delete(Thread).where(Thread.cluster_id.in_(clusters)))
    db.session.execute(delete(ClusterMembership).where(ClusterMembership.cluster_id.in_(clusters)))
    db.session.execute(delete(Cluster).where(Cluster.slug.like("latest-%")))
    db.session.commit()
    db.session.expunge_all()


def _expected(statuses, cluster_levels, drawn, ids):
    """The plain definition: the 2 × LIMIT latest threads of the clusters the person is an active member
    of (newest first, the later thread first on a tie), less the muted ones, the first LIMIT."""
    now = utcnow()
    seen = [(now - timedelta(minutes=t["minutes_ago"]), thread_id, t) for thread_id, t
            in zip(ids, drawn, strict=True) if statuses[t["cluster"]] == "active" and not t["removed"]]
    seen.sort(key=lambda row: (-row[0].timestamp(), -row[1]))
    return [thread_id for _, thread_id, t in seen[:LIMIT * 2]
            if (t["level"] or cluster_levels[t["cluster"]] or "normal") != "muted"][:LIMIT]


@pytest.mark.parametrize("merged_up_to", [queries.MERGED_UP_TO, 2], ids=["merged", "sorted together"])
def test_the_latest_threads_are_those_of_the_plain_definition(forum, monkeypatch, merged_up_to):
    """Every way gives the same threads: each cluster's latest merged, (for a person in more
    clusters than `MERGED_UP_TO`) all of them sorted together, and on PostgreSQL each cluster's
    latest taken `LATERAL` for an array of clusters (whatever `MERGED_UP_TO` says)."""
    monkeypatch.setattr(queries, "MERGED_UP_TO", merged_up_to)
    person_id, author_id = forum.outsider.id, forum.member.id

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(statuses=st.lists(st.sampled_from(["active", "active", "pending", None]), min_size=6, max_size=6),
           cluster_levels=st.lists(st.sampled_from([None, None, "muted", "tracking"]), min_size=6, max_size=6),
           drawn=threads_drawn)
    def check(statuses, cluster_levels, drawn):
        person = db.session.get(User, person_id)
        try:
            ids = _world(forum, person, author_id, statuses, cluster_levels, drawn)
            shown = [row.thread.id for row in queries.latest_in_clusters(person, limit=LIMIT)]
            assert shown == _expected(statuses, cluster_levels, drawn, ids)
        finally:
            _clear(person)

    check()


def test_the_home_page_runs_the_same_statements_for_two_clusters_or_twelve(forum, client, sign_in):
    person = forum.outsider
    sign_in(person)

    def home_statements():
        with count_queries() as statements:
            page = client.get("/").get_data(as_text=True)
        assert "Latest in your clusters" in page
        return len(statements)

    for n in range(2):
        forum.thread(author=person, cluster=forum.add_cluster(f"Early {n}", members=[person]),
                     title=f"Early thread {n}")
    few = home_statements()
    for n in range(10):
        cluster = forum.add_cluster(f"Later {n}", members=[person])
        for m in range(3):
            forum.thread(author=person, cluster=cluster, title=f"Later thread {n}.{m}")
    assert home_statements() == few
    assert db.session.scalar(select(ClusterMembership.id).where(
        ClusterMembership.user_id == person.id).limit(1)) is not None
