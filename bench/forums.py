"""Forums scenario: cluster pages and a long thread's pages under gunicorn, next to bare Flask.

The data set (50 clusters, 5,000 threads, 100,000 posts) is generated with bulk inserts into a
SQLite file in a temporary directory, on top of the demo accounts. One cluster holds 500 threads
and another 5,000 more (one post each), so the cluster page is measured at 1× and 10×; the long
thread has 400 posts, so its page 1 and page 20 show whether a deep page costs more. The reader
belongs to every cluster, so the signed-in home page's "Latest in your clusters" draws on all the
threads.
"""
import os
import random
import tempfile
import time

from bench.common import app_for, baseline, demo_site, gunicorn, measure, report, scaled, sign_in_cookie

#: The generated data set, on top of the demo data (whose 7 clusters count among the 50).
CLUSTERS, THREADS, POSTS = 50, scaled(5000), scaled(100_000)
BIG_THREAD_POSTS = 400
#: Threads in the measured cluster (1×), and in the 10× cluster on top of THREADS.
CLUSTER_THREADS = scaled(500)
READER = "maria.lopez@stanislaus.example.gov"
WORDS = ("mutual families coordinated case plan Welfare-to-Work Team Decision Meeting joint case "
         "review county liaison CalWORKs child welfare reunification sanction good cause "
         "appraisal interim plan protocol training").split()


def _sentence(rng, n=40):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(env):
    """Fill the database named in `env` with the benchmark data set.

    Returns (1× cluster slug, 10× cluster slug, long thread id)."""
    from sqlalchemy import func, insert, select

    from community.accounts.models import User
    from community.clusters.models import Cluster, ClusterMembership
    from community.extensions import db
    from community.forums.models import Post, Thread
    from community.timeutil import utcnow

    rng = random.Random(7)
    app = app_for(env)
    with app.app_context():
        people = db.session.scalars(select(User.id).where(User.status == "active")).all()
        reader = db.session.scalar(select(User.id).where(User.email == READER))
        existing = db.session.scalars(select(Cluster.id)).all()
        db.session.execute(insert(Cluster), [
            {"slug": f"bench-cluster-{n}", "name": f"Bench cluster {n}",
             "description": _sentence(rng, 15), "is_open": True, "is_public": False}
            for n in range(CLUSTERS - len(existing))])
        clusters = db.session.scalars(select(Cluster.id).order_by(Cluster.id)).all()
        member_of = set(db.session.scalars(select(ClusterMembership.cluster_id).where(
            ClusterMembership.user_id == reader)))
        db.session.execute(insert(ClusterMembership), [
            {"cluster_id": c, "user_id": reader, "role": "member", "status": "active"}
            for c in clusters if c not in member_of])
        now = utcnow()
        big = THREADS + 10 * CLUSTER_THREADS
        per_thread = [BIG_THREAD_POSTS] + [0] * (big - 1)
        remaining = POSTS - BIG_THREAD_POSTS
        for i in range(1, THREADS):
            per_thread[i] = remaining // (THREADS - 1) + (1 if i <= remaining % (THREADS - 1) else 0)
        per_thread[THREADS:] = [1] * (10 * CLUSTER_THREADS)
        threads = []
        others = clusters[2:]
        for i in range(big):
            author = rng.choice(people)
            cluster_id = (clusters[0] if i < CLUSTER_THREADS else others[i % len(others)]
                          if i < THREADS else clusters[1])
            threads.append({
                "cluster_id": cluster_id,
                "author_id": author, "title": f"{_sentence(rng, 6)[:-1]} ({i})",
                "is_question": i % 4 == 0, "is_pinned": i % 97 == 0, "is_locked": False,
                "created_at": now, "last_number": per_thread[i], "reply_count": per_thread[i] - 1,
                "last_posted_at": now, "last_poster_id": rng.choice(people)})
        before = db.session.scalar(select(func.max(Thread.id))) or 0
        db.session.execute(insert(Thread), threads)
        thread_ids = db.session.scalars(select(Thread.id).where(Thread.id > before)
                                        .order_by(Thread.id)).all()
        batch = []
        for thread_id, count in zip(thread_ids, per_thread, strict=True):
            for number in range(1, count + 1):
                text = _sentence(rng)
                batch.append({"thread_id": thread_id, "number": number, "author_id": rng.choice(people),
                              "body_source": text, "body_html": f"<p>{text}</p>\n", "created_at": now,
                              "helpful_count": number % 3, "guard_confirmed": False,
                              "hidden_reason": ""})
                if len(batch) == 5000:
                    db.session.execute(insert(Post), batch)
                    batch = []
        if batch:
            db.session.execute(insert(Post), batch)
        db.session.commit()
        slugs = [db.session.scalar(select(Cluster.slug).where(Cluster.id == c)) for c in clusters[:2]]
        return slugs[0], slugs[1], thread_ids[0]


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "")}
        demo_site(env)
        started = time.perf_counter()
        slug, big_slug, thread_id = generate(env)
        print(f"generated {CLUSTERS} clusters, {THREADS + 10 * CLUSTER_THREADS:,} threads, "
              f"{POSTS:,} posts in {time.perf_counter() - started:.1f}s")
        base = baseline(seconds)
        rows = []
        with gunicorn("community:create_app()", env=env) as url:
            cookie = {"Cookie": sign_in_cookie(url, READER, "linkages-demo")}
            rows.append({"what": f"cluster page ({CLUSTER_THREADS:,} threads, 1×)",
                         **measure(f"{url}/clusters/{slug}", seconds, headers=cookie)})
            rows.append({"what": f"cluster page ({10 * CLUSTER_THREADS:,} threads, 10×)",
                         **measure(f"{url}/clusters/{big_slug}", seconds, headers=cookie)})
            rows.append({"what": f"home page (the reader is in all {CLUSTERS} clusters, "
                                 f"{THREADS + 10 * CLUSTER_THREADS:,} threads)",
                         **measure(f"{url}/", seconds, headers=cookie)})
            rows.append({"what": f"thread page ({BIG_THREAD_POSTS}-post thread, page 1)",
                         **measure(f"{url}/t/{thread_id}?page=1", seconds, headers=cookie)})
            rows.append({"what": f"thread page ({BIG_THREAD_POSTS}-post thread, page 20)",
                         **measure(f"{url}/t/{thread_id}?page=20", seconds, headers=cookie)})
        return report("forums", rows, base)
