"""Search scenario: index 20,000 documents, time 50 queries in-process on both backends, load the page.

Resources (with a few pages of text each) go into the database with bulk inserts; forum-like
posts come from a bench-only search source, as the forums feature will register one. Both
backends index the same corpus in the same run: Whoosh (files in the instance folder) and, when
BENCH_DATABASE_URL is a PostgreSQL database, PostgreSQL full-text search. Each is timed through
the one search interface (permission filter + facets + highlights + suggestion) and "raw" (the
engine alone: match, rank, highlight the first page, two facet counts, no permission filter).
`python -m bench search --documents 100000` (or BENCH_SEARCH_DOCUMENTS) sets the corpus size.
"""
import os
import random
import statistics
import tempfile
import time

from bench.common import baseline, demo_site, gunicorn, measure, report, sign_in_cookie

DOCUMENTS = int(os.environ.get("BENCH_SEARCH_DOCUMENTS", "20000"))
POST_SHARE = 0.2  # a fifth of the documents are discussion posts

SENTENCES = [
    "The {county} County Linkages team meets every week to staff mutual cases.",
    "CalWORKs employment case managers join Team Decision Meetings when the parent agrees.",
    "The shared release of information lets both workers coordinate the case plan.",
    "Family Reunification timelines and the Welfare-to-Work 48-month clock must fit together.",
    "Co-located staff at the family resource center reduce duplicated referrals.",
    "The monthly data match between CWS/CMS and CalWIN identifies mutual families.",
    "Supportive services such as child care and transportation count toward participation.",
    "Joint case reviews look at sanctioned families and families facing homelessness.",
    "The joint fiscal plan braids the CalWORKs single allocation with child welfare funds.",
    "Cross-training covers Emergency Response, Family Maintenance and Welfare-to-Work rules.",
    "Evaluation found faster reunification and fewer sanctions for Linkages families.",
    "Teen parents receive coordinated case planning from both programs.",
    "The steering committee reviews the memorandum of understanding every year.",
    "Leaders from both programs model collaboration and champion the partnership.",
    "Staff record Linkages activities in their time studies each month.",
    "Parents said having one plan made it possible to keep a job and attend counseling.",
    "The screening tool asks whether the family receives cash aid or has an open referral.",
    "Prevention focuses on families who apply for CalWORKs with risk factors.",
    "Housing support coordinators help families find stable housing quickly.",
    "Supervisors from both programs meet monthly to resolve conflicting requirements.",
]
COUNTIES = ["Stanislaus", "Los Angeles", "San Bernardino", "Fresno", "Alameda", "Santa Clara",
            "Sacramento", "Riverside", "San Diego", "Kern", "Tulare", "Sonoma", "Merced", "Placer"]
TYPES = ["policy", "protocol", "mou", "tool", "form", "curriculum", "handbook", "presentation",
         "report", "fiscal-plan"]
AREAS = ["definitional", "assessment-planning", "training", "evaluation", "communication", "fiscal",
         "sustainability"]
STRATEGIES = ["identifying-mutual-cases", "coordinated-case-planning", "tdm-fgc", "co-location",
              "linkages-teams", "joint-case-reviews", "joint-fiscal-plans", "cross-training"]

QUERIES = [
    "reunification", "mutual families", '"shared release of information"', "county:stanislaus",
    "type:mou", "co-locat*", "fiscal AND plan", "sanction OR homeless", "training NOT fiscal",
    "reunifcation", "teen parents", '"team decision meetings"', "county:fresno type:report",
    "child care transportation", "evaluation", "screening tool", "time studies", "steering committee",
    "housing", "calworks", "welfare-to-work clock", "data match", "supervisors monthly", "prevent*",
    "coordinated case planning", "year:2021", "area:fiscal", "strategy:co-location", "tag:linkages",
    "joint case reviews", "counseling job", "cash aid referral", '"family resource center"',
    "leaders champion", "emergency response", "memorandum", "braided funding", "participation",
    "collaboration", "county:kern OR county:tulare", "stable housing", "duplicated referrals",
    "faster reunification", "employment case managers", "sanctioned families", "allocation",
    "parents plan", "colocation", "famly maintenance", "partnership",
]


_SYLLABLES = ["ka", "lo", "mer", "tin", "sa", "ver", "do", "ran", "pel", "qui", "cos", "ta",
              "mi", "nor", "bel", "stu", "fra", "gen", "ol", "ux", "ri", "pa", "den", "sol"]
#: A Zipf-like vocabulary of made-up words, so term statistics look like real prose.
_VOCABULARY = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "s", "ing", "ed")})
_WEIGHTS = [1 / (rank + 1) for rank in range(len(_VOCABULARY))]


def _text(rng, pages):
    """A few pages: four topical sentences of the corpus's own, between ordinary-looking words."""
    county = rng.choice(COUNTIES)
    topics = rng.sample(SENTENCES, 4)
    parts = []
    for _ in range(pages):
        parts.extend(rng.choice(topics).format(county=county) for _ in range(3))
        parts.append(" ".join(rng.choices(_VOCABULARY, _WEIGHTS, k=220)) + ".")
    return " ".join(parts)


def _insert_resources(app, count):
    """Bulk-insert `count` resources with one version each; return how long it took."""
    from sqlalchemy import insert, select

    from community.accounts.models import County, User
    from community.clusters.models import Cluster
    from community.extensions import db
    from community.resources.models import Resource, ResourceVersion, resource_clusters
    from community.timeutil import utcnow

    rng = random.Random(4)
    with app.app_context():
        owners = db.session.scalars(select(User.id)).all()
        counties = dict(db.session.execute(select(County.name, County.id)).all())
        clusters = db.session.scalars(select(Cluster.id)).all()
        start, now, batch = time.perf_counter(), utcnow(), 1000
        next_id = (db.session.scalar(select(Resource.id).order_by(Resource.id.desc()).limit(1)) or 0) + 1
        for first in range(0, count, batch):
            resources, versions, links = [], [], []
            for n in range(first, min(first + batch, count)):
                ident = next_id + n
                roll = rng.random()
                visibility = "public" if roll < 0.5 else "members" if roll < 0.85 else "clusters"
                county = rng.choice(COUNTIES)
                resources.append({
                    "id": ident, "title": f"{county} {rng.choice(TYPES).replace('-', ' ')} {ident}",
                    "summary": rng.choice(SENTENCES).format(county=county),
                    "county_id": counties[county], "program": rng.choice(["cws", "calworks", "linkages"]),
                    "doc_type": rng.choice(TYPES), "toolkit_areas": rng.sample(AREAS, 2),
                    "strategies": rng.sample(STRATEGIES, 2), "tags": ["linkages"],
                    "year": rng.randint(2012, 2025), "visibility": visibility, "owner_id": rng.choice(owners),
                    "created_at": now, "updated_at": now, "download_count": rng.randint(0, 300)})
                versions.append({
                    "resource_id": ident, "number": 1, "original_name": "document.pdf",
                    "stored_name": f"bench-{ident}.pdf", "content_type": "application/pdf", "size": 1,
                    "sha256": "0" * 64, "uploaded_by_id": rng.choice(owners), "uploaded_at": now,
                    "note": "", "download_count": 0, "extraction_state": "searchable",
                    "extraction_note": "", "text": _text(rng, rng.randint(2, 4)), "page_count": 3})
                if visibility == "clusters":
                    links.append({"resource_id": ident, "cluster_id": rng.choice(clusters)})
            db.session.execute(insert(Resource), resources)
            db.session.execute(insert(ResourceVersion), versions)
            if links:
                db.session.execute(insert(resource_clusters), links)
            db.session.commit()
        return time.perf_counter() - start


def _post_source(count):
    from community.content import SearchDocument

    def fetch(ids=None):
        # Each document from its own seed, so a few can be read again (search re-reads its hits).
        for n in (range(count) if ids is None else [int(i) for i in ids if 0 <= int(i) < count]):
            rng = random.Random(7_000_000 + n)
            yield SearchDocument(
                kind="post", id=str(n), title=f"Re: question about {rng.choice(SENTENCES)[:40]}",
                text=_text(rng, 1)[:1200], url=f"/forums/posts/{n}",
                visibility="members" if n % 3 else "clusters", cluster_ids=frozenset({1 + n % 7}),
                facets={"county": rng.choice(COUNTIES)})
    return fetch


def _summary(timings, totals=None):
    timings = sorted(timings)
    row = {"queries": len(timings), "p50_ms": round(statistics.median(timings), 1),
           "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1)}
    if totals is not None:
        row["mean_hits"] = round(statistics.mean(totals))
    return row


def _latencies(app, backend, rounds=3):
    """Each query `rounds` times through the search interface, as the page calls it (a member)."""
    from community.accounts.models import User
    from community.extensions import db
    from community.permissions import access_filter

    timings, totals = [], []
    with app.test_request_context():
        member = db.session.scalar(User.by_email("maria.lopez@stanislaus.example.gov"))
        allowed = access_filter(member)
        for query in QUERIES:  # warm up: caches, the plan cache, the OS's file cache
            backend.search(allowed, query)
        for _ in range(rounds):
            for query in QUERIES:
                started = time.perf_counter()
                found = backend.search(allowed, query)
                timings.append((time.perf_counter() - started) * 1000)
                totals.append(found.total)
    return _summary(timings, totals)


def _raw_whoosh(app, rounds=3):
    """Whoosh alone: parse, score the first page, highlight it, count two facets over all matches."""
    from whoosh import highlight

    from community.search import engine

    timings = []
    with app.app_context():
        searcher = engine._searcher()
        parser = engine._parser()
        for round_ in range(rounds + 1):
            for query in QUERIES:
                started = time.perf_counter()
                parsed = parser.parse(query)
                hits = searcher.search(parsed, limit=10)
                hits.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=70)
                for hit in hits:
                    hit.highlights("content", text=hit.get("snippet_source") or "", top=2)
                matched = set(searcher.docs_for_query(parsed))
                engine._facet_counts(searcher, "county", matched), engine._facet_counts(searcher, "type", matched)
                if round_:  # the first round warms up
                    timings.append((time.perf_counter() - started) * 1000)
    return _summary(timings)


_RAW_POSTGRES = """
WITH matches AS MATERIALIZED (
  SELECT kind, ref, county, doc_type, tsv
  FROM search_documents WHERE tsv @@ websearch_to_tsquery('english', :q)
)
SELECT (SELECT json_agg(p) FROM (
          SELECT t.title, ts_headline('english', left(t.snippet_source, 1500), websearch_to_tsquery('english', :q)) AS snippet
          FROM (SELECT * FROM matches ORDER BY ts_rank(tsv, websearch_to_tsquery('english', :q)) DESC LIMIT 10) top
          JOIN search_texts AS t ON t.kind = top.kind AND t.ref = top.ref) p),
       (SELECT json_agg(c) FROM (SELECT county, count(*) FROM matches GROUP BY county) c),
       (SELECT json_agg(t) FROM (SELECT doc_type, count(*) FROM matches GROUP BY doc_type) t)
"""


def _raw_postgres(app, rounds=3):
    """PostgreSQL alone, as the issue measured it: match, rank, ts_headline on the first page, two facets."""
    from sqlalchemy import text

    from community.extensions import db

    timings = []
    with app.app_context():
        for round_ in range(rounds + 1):
            for query in QUERIES:
                started = time.perf_counter()
                db.session.execute(text(_RAW_POSTGRES), {"q": query}).all()
                if round_:
                    timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return _summary(timings)


def _rebuild(app, backend, label, documents_line):
    with app.app_context():
        started = time.perf_counter()
        indexed = backend.rebuild()
        elapsed = time.perf_counter() - started
        row = {"what": f"{label} rebuild: {indexed} documents ({documents_line})",
               "docs_per_s": round(indexed / elapsed, 1), "seconds": round(elapsed, 1)}
        started = time.perf_counter()
        for first in range(1, 201, 20):  # incremental updates, as jobs make them after commits
            backend.apply_changes("resource", list(range(first, first + 20)))
        incremental = {"what": f"{label} incremental reindex: 200 resources in batches of 20",
                       "docs_per_s": round(200 / (time.perf_counter() - started), 1)}
    return row, incremental


def run(seconds=5.0, documents=None):
    from community import content, create_app
    from community.search import engine, postgres

    documents = documents or DOCUMENTS
    posts = int(documents * POST_SHARE)
    resources = documents - posts
    database_url = os.environ.get("BENCH_DATABASE_URL", "")
    on_postgres = database_url.startswith(("postgresql", "postgres:"))
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": database_url}
        os.environ.update(env)
        demo_site(env)
        # In-process timings run every search in full (3 rounds of the same 50 queries).
        settings = {"INSTANCE_PATH": instance, "SEARCH_INDEX_PROCS": 2, "SEARCH_KEEP_RESULTS": False}
        if database_url:  # the Config class read the environment before it was set here
            settings["SQLALCHEMY_DATABASE_URI"] = database_url
        app = create_app(settings)
        content.register_source(app, "post", "Discussion posts", _post_source(posts))
        inserted = _insert_resources(app, resources)
        line = f"{resources} resources + {posts} posts"
        backends = [("Whoosh", engine)] + ([("PostgreSQL", postgres)] if on_postgres else [])
        rows = [{"what": f"database insert: {resources} resources", "seconds": round(inserted, 1)}]
        for label, backend in backends:
            rows.extend(_rebuild(app, backend, label, line))
        with app.app_context():
            size_mb = sum(f.stat().st_size for f in engine.index_dir().iterdir()) / 1e6
        rows.append({"what": "Whoosh index size", "index_mb": round(size_mb, 1)})
        if on_postgres:
            from sqlalchemy import text

            from community.extensions import db

            with app.app_context():
                size = db.session.scalar(text("SELECT pg_total_relation_size('search_documents')"))
            rows.append({"what": "PostgreSQL search_documents size (with indexes)", "index_mb": round(size / 1e6, 1)})
        for label, backend in backends:
            rows.append({"what": f"{label} in-process search, 50 queries x3: permission filter + facets "
                                 "+ highlights + suggestion (member)", **_latencies(app, backend)})
        rows.append({"what": "raw Whoosh: match, rank, highlight 10, two facet counts", **_raw_whoosh(app)})
        if on_postgres:
            rows.append({"what": "raw PostgreSQL: match, rank, ts_headline 10, two facet counts",
                         **_raw_postgres(app)})
        else:
            print("BENCH_DATABASE_URL is not a PostgreSQL database: the PostgreSQL backend is not measured.")
        base = baseline(seconds)
        for label, name in [(label, "whoosh" if backend is engine else "postgres") for label, backend in backends]:
            # Whoosh pages are never kept; on PostgreSQL: the kept page (a repeated view with no
            # commit between), the page built with the search's results kept (a repeated search
            # after writes elsewhere), and the page built running the search in full (a new search).
            variants = [("", {})] if name == "whoosh" else [
                (" [kept page]", {"KEEP_WHOLE_PAGES": "1", "SEARCH_KEEP_RESULTS": "1"}),
                (" [built, results kept]", {"KEEP_WHOLE_PAGES": "0", "SEARCH_KEEP_RESULTS": "1"}),
                (" [built, search run in full]", {"KEEP_WHOLE_PAGES": "0", "SEARCH_KEEP_RESULTS": "0"})]
            for variant, settings in variants:
                node_env = {**env, "SEARCH_BACKEND": name, **settings}
                with gunicorn("community:create_app()", env=node_env) as url:
                    rows.append({"what": f"{label} search page, anonymous: q=reunification timelines{variant}",
                                 **measure(url + "/search?q=reunification+timelines", seconds)})
                    cookie = sign_in_cookie(url, "maria.lopez@stanislaus.example.gov", "linkages-demo")
                    rows.append({"what": f"{label} search page, member: q=\"shared release\" county facet{variant}",
                                 **measure(url + "/search?q=%22shared+release%22&county=fresno", seconds,
                                           headers={"Cookie": cookie})})
        with gunicorn("community:create_app()", env=env) as url:
            cookie = sign_in_cookie(url, "maria.lopez@stanislaus.example.gov", "linkages-demo")
            rows.append({"what": "library page, member", **measure(url + "/library/", seconds,
                                                                   headers={"Cookie": cookie})})
        return report(f"search-{documents}" if documents != 20000 else "search", rows, base)
