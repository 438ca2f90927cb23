"""Before/after on a noisy machine: `python -m bench.ab OTHER_CHECKOUT [forums|search] [--rounds N]`.

A shared machine's speed swings by a third from one minute to the next, so figures from two
runs minutes apart cannot show a 15 % change. This serves this checkout and another one (e.g.
`git worktree add /tmp/before <commit>`) alternately, on the same data, `--rounds` times, and
prints each page's requests/s for both next to the bare Flask baseline measured around them.

The data is generated once into `--data` (default: a folder in the system's temporary
directory) and kept between runs: the forums benchmark's data in SQLite, or in the PostgreSQL
database BENCH_DATABASE_URL when it is set (every page built: `KEEP_WHOLE_PAGES=0`); the search
benchmark's 20,103 documents in BENCH_DATABASE_URL (search needs it; a search runs in full:
`SEARCH_KEEP_RESULTS=0`). A run on PostgreSQL empties that database the first time: give each
scenario a database of its own, and delete the folder's marker to generate again.
Both checkouts must read the same schema (the same migration head).
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .common import ROOT, baseline, demo_site, gunicorn, measure, sign_in_cookie

READER = "maria.lopez@stanislaus.example.gov"


def _forums_data(folder):
    from . import forums

    url = os.environ.get("BENCH_DATABASE_URL", "")  # PostgreSQL when given, else SQLite in the folder
    env = {"INSTANCE_PATH": str(folder), "RATELIMIT_ENABLED": "false", "FLASK_APP": "community", "DATABASE_URL": url}
    marker = folder / ("forums-postgresql.ready" if url else "forums.ready")
    if not marker.exists():
        demo_site(env)
        marker.write_text(json.dumps(forums.generate(env)))
    slug, _, thread_id = json.loads(marker.read_text())
    pages = [("floor: /about signed in", "/about"), ("home page", "/"), ("cluster page (500 threads)", f"/clusters/{slug}"),
             ("thread page, page 1", f"/t/{thread_id}?page=1"), ("thread page, page 20", f"/t/{thread_id}?page=20")]
    return {**env, "KEEP_WHOLE_PAGES": "0"}, [(name, path, True) for name, path in pages]


def _search_data(folder):
    from community import content, create_app
    from community.search import postgres

    from . import search

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("search needs BENCH_DATABASE_URL: a PostgreSQL database of its own (emptied the first time)")
    env = {"INSTANCE_PATH": str(folder), "RATELIMIT_ENABLED": "false", "FLASK_APP": "community", "DATABASE_URL": url}
    marker = folder / "search.ready"
    if not marker.exists():
        demo_site(env)
        app = create_app({"INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": url})
        posts = int(search.DOCUMENTS * search.POST_SHARE)
        content.register_source(app, "post", "Discussion posts", search._post_source(posts))
        search._insert_resources(app, search.DOCUMENTS - posts)
        with app.app_context():
            postgres.rebuild()
        marker.write_text("ready")
    pages = [("new search, anonymous: reunification timelines", "/search?q=reunification+timelines", False),
             ('new search, member: "shared release" in Fresno', "/search?q=%22shared+release%22&county=fresno", True)]
    return {**env, "SEARCH_BACKEND": "postgres", "KEEP_WHOLE_PAGES": "0", "SEARCH_KEEP_RESULTS": "0"}, pages


def _measure(checkout, env, pages, seconds):
    """Requests/s of each page served from `checkout` (its own code, through gunicorn's cwd)."""
    rates = {}
    with gunicorn("community:create_app()", env=env, cwd=checkout) as url:
        cookie = {"Cookie": sign_in_cookie(url, READER, "linkages-demo")}
        for name, path, signed_in in pages:
            rates[name] = measure(url + path, seconds, headers=cookie if signed_in else None)["rps"]
    return rates


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("other", type=Path, help="the other checkout (the code before a change)")
    parser.add_argument("scenario", choices=["forums", "search"], nargs="?", default="forums")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "linkages-bench-ab")
    options = parser.parse_args()
    folder = options.data / options.scenario
    folder.mkdir(parents=True, exist_ok=True)
    env, pages = (_forums_data if options.scenario == "forums" else _search_data)(folder)
    checkouts = {"this checkout": ROOT, "other": options.other.resolve()}
    results = {label: {name: [] for name, _, _ in pages} for label in checkouts}
    bare = []
    for _ in range(options.rounds):
        for label, checkout in checkouts.items():
            bare.append(baseline(options.seconds)["rps"])
            for name, rate in _measure(checkout, env, pages, options.seconds).items():
                results[label][name].append(rate)
    bare.append(baseline(options.seconds)["rps"])
    print(f"\n## {options.scenario}: requests/s, {options.rounds} alternations "
          f"(bare Flask {min(bare):.0f}–{max(bare):.0f} req/s around them)")
    print(f"page | this checkout ({ROOT}) | other ({checkouts['other']}) | change of the means")
    print("-|-|-|-")
    for name, _, _ in pages:
        mine, theirs = results["this checkout"][name], results["other"][name]
        change = sum(mine) / sum(theirs) - 1 if sum(theirs) else float("nan")
        print(f"{name} | {', '.join(f'{r:.1f}' for r in mine)} | {', '.join(f'{r:.1f}' for r in theirs)} | {change:+.0%}")


if __name__ == "__main__":
    main()
