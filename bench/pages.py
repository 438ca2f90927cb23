"""Pages scenario: the public pages on demo data, and the library at 1× and 10× its resources.

Every page the issue names that no other scenario covers: `/`, `/about`, `/sign-in`, `/events/`,
`/newsletter`, `/clusters`, `/request-account`, `/library/` (anonymous), then the library signed
in with 2,000 and with 20,000 resources in the database (the page must not slow down with them).
"""
import os
import random
import tempfile

from bench.common import app_for, baseline, demo_site, gunicorn, measure, report, scaled, sign_in_cookie

PUBLIC = ["/", "/about", "/sign-in", "/events/", "/newsletter", "/clusters", "/request-account",
          "/library/"]
RESOURCES = scaled(2000)
MEMBER = "maria.lopez@stanislaus.example.gov"


def add_resources(env, count, seed):
    """Bulk-insert `count` link resources (public and members-only) owned by demo people."""
    from sqlalchemy import insert, select

    from community.accounts.models import County, User
    from community.extensions import db
    from community.resources.models import Resource
    from community.timeutil import utcnow

    rng = random.Random(seed)
    app = app_for(env)
    with app.app_context():
        people = db.session.scalars(select(User.id).where(User.status == "active")).all()
        counties = db.session.scalars(select(County.id)).all()
        now = utcnow()
        rows = [{"title": f"Bench resource {seed}-{n}: coordinated case plan template",
                 "summary": "A benchmark resource about joint case planning.",
                 "county_id": rng.choice(counties), "program": "linkages",
                 "doc_type": rng.choice(["tool", "form", "mou", "protocol", "report"]),
                 "toolkit_areas": [], "strategies": [], "tags": ["bench"], "year": 2020,
                 "visibility": rng.choice(["public", "members"]), "owner_id": rng.choice(people),
                 "link_url": f"https://example.org/bench/{seed}/{n}", "created_at": now,
                 "updated_at": now, "download_count": 0} for n in range(count)]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Resource), rows[start:start + 5000])
        db.session.commit()


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", ""), "MAIL_URL": "none"}
        demo_site(env)
        base = baseline(seconds)
        rows = []
        with gunicorn("community:create_app()", env=env) as url:
            for path in PUBLIC:
                rows.append({"what": f"{path} (anonymous, demo data)", **measure(url + path, seconds)})
        add_resources(env, RESOURCES, 1)
        with gunicorn("community:create_app()", env=env) as url:
            cookie = {"Cookie": sign_in_cookie(url, MEMBER, "linkages-demo")}
            rows.append({"what": f"/library/ (signed in, {RESOURCES:,} resources, 1×)",
                         **measure(url + "/library/", seconds, headers=cookie)})
        add_resources(env, RESOURCES * 9, 2)
        with gunicorn("community:create_app()", env=env) as url:
            cookie = {"Cookie": sign_in_cookie(url, MEMBER, "linkages-demo")}
            rows.append({"what": f"/library/ (signed in, {RESOURCES * 10:,} resources, 10×)",
                         **measure(url + "/library/", seconds, headers=cookie)})
        return report("pages", rows, base)
