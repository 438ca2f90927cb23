"""Forums scenario: a cluster page and a 200-post thread page under gunicorn, next to bare Flask.

The data set (50 clusters, 5,000 threads, 100,000 posts) is generated with bulk inserts into a
SQLite file in a temporary directory, on top of the demo accounts.
"""
import os
import random
import subprocess
import sys
import tempfile
import time

from bench.common import ROOT, baseline, gunicorn, measure, report, sign_in_cookie

#: The generated data set, on top of the demo data (whose 7 clusters count among the 50).
CLUSTERS, THREADS, POSTS = 50, 5000, 100_000
BIG_THREAD_POSTS = 200
READER = "maria.lopez@stanislaus.example.gov"
WORDS = ("mutual families coordinated case plan Welfare-to-Work Team Decision Meeting joint case "
         "review county liaison CalWORKs child welfare reunification sanction good cause "
         "appraisal interim plan protocol training").split()


def _sentence(rng, n=40):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(env):
    """Fill the database named in `env` with the benchmark data set; returns (cluster slug, thread id)."""
    os.environ.update(env)
    from sqlalchemy import func, insert, select

    from community import create_app
    from community.accounts.models import User
    from community.clusters.models import Cluster, ClusterMembership
    from community.extensions import db
    from community.forums.models import Post, Thread
    from community.timeutil import utcnow

    rng = random.Random(7)
    app = create_app()
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
        per_thread = [BIG_THREAD_POSTS] + [0] * (THREADS - 1)
        remaining = POSTS - BIG_THREAD_POSTS
        for i in range(1, THREADS):
            per_thread[i] = remaining // (THREADS - 1) + (1 if i <= remaining % (THREADS - 1) else 0)
        threads = []
        for i in range(THREADS):
            author = rng.choice(people)
            threads.append({
                "cluster_id": clusters[0] if i == 0 else clusters[i % len(clusters)],
                "author_id": author, "title": f"{_sentence(rng, 6)[:-1]} ({i})",
                "is_question": i % 4 == 0, "is_pinned": i % 97 == 0, "is_locked": False,
                "created_at": now, "last_number": per_thread[i], "reply_count": per_thread[i] - 1,
                "last_posted_at": now, "last_poster_id": rng.choice(people)})
        before = db.session.scalar(select(func.max(Thread.id))) or 0
        db.session.execute(insert(Thread), threads)
        thread_ids = db.session.scalars(select(Thread.id).where(Thread.id > before)
                                        .order_by(Thread.id)).all()
        batch = []
        for thread_id, count in zip(thread_ids, per_thread):
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
        slug = db.session.scalar(select(Cluster.slug).where(Cluster.id == clusters[0]))
        return slug, thread_ids[0]


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "")}
        flask = [sys.executable, "-m", "flask"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env={**os.environ, **env}, check=True,
                           capture_output=True)
        started = time.perf_counter()
        slug, thread_id = generate(env)
        print(f"generated {CLUSTERS} clusters, {THREADS:,} threads, {POSTS:,} posts "
              f"in {time.perf_counter() - started:.1f}s")
        base = baseline(seconds)
        rows = []
        with gunicorn("community:create_app()", env=env) as url:
            cookie = {"Cookie": sign_in_cookie(url, READER, "linkages-demo")}
            rows.append({"what": "cluster page (100 threads, first page)",
                         **measure(f"{url}/clusters/{slug}", seconds, headers=cookie)})
            rows.append({"what": "thread page (200-post thread, page 1)",
                         **measure(f"{url}/t/{thread_id}?page=1", seconds, headers=cookie)})
            rows.append({"what": "thread page (200-post thread, last page)",
                         **measure(f"{url}/t/{thread_id}?page=10", seconds, headers=cookie)})
        report("forums", rows, base)
