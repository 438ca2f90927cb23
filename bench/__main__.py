"""Run benchmarks: `python -m bench [scenario ...]` (default: all). Scenarios are modules here
with a `run(seconds)` function; each serves the real app under gunicorn next to a bare Flask app.

`--quick` (for development: `make bench BENCH_ARGS=--quick`) measures 1 s per page on a tenth of
the data; the figures to publish come from a full run.

BENCH_DATABASE_URL (optional) names a PostgreSQL database for every scenario (and adds the
PostgreSQL search backend to the search scenario); each scenario empties it before building its
site, so give the benchmark a database of its own. Without it each scenario uses SQLite in a
temporary folder.
"""
import argparse
import importlib
import os
import pkgutil
from pathlib import Path

#: Modules here that are tools, not scenarios (each of those has its own `main`).
SKIP = {"__main__", "ab", "common", "hello_app", "instructions", "profiling"}


def scenarios():
    """The scenario modules' names, in the order `make bench` runs them."""
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)


def main():
    available = scenarios()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=available + [[]], default=[])
    parser.add_argument("--seconds", type=float, default=5.0, help="load duration per measurement")
    parser.add_argument("--documents", type=int, help="search: documents in the corpus (default 20000)")
    parser.add_argument("--quick", action="store_true", help="1 s per measurement, a tenth of the data")
    options = parser.parse_args()
    if options.quick:
        os.environ.setdefault("BENCH_SCALE", "0.1")
        os.environ.setdefault("BENCH_NEWSLETTER_RECIPIENTS", "1000")
        os.environ.setdefault("BENCH_SEARCH_DOCUMENTS", "2000")
        options.seconds = min(options.seconds, 1.0)
    results = {}
    for name in options.scenarios or available:
        extra = {"documents": options.documents} if name == "search" and options.documents else {}
        results[name] = importlib.import_module(f"bench.{name}").run(seconds=options.seconds, **extra)
    summary(results)


def summary(results):
    """One table of every page: its requests/s, the bare Flask requests/s of its run, the ratio."""
    print("\n## Summary (ratio = page ÷ bare Flask measured in the same scenario run)")
    print("scenario | page | req/s (or msgs/s) | bare | ratio")
    print("-|-|-|-|-")
    for name, rows in results.items():
        rows = rows or []
        base = next((r for r in rows if "baseline" in r.get("what", "")), {})
        bare = base.get("rps") or base.get("msgs_per_s")
        for row in rows:
            if row is base:
                continue
            rate = row.get("rps") or row.get("msgs_per_s")
            ratio = row.get("ratio_to_bare_flask", row.get("ratio_to_bare"))
            if rate is None:
                continue
            print(f"{name} | {row['what']} | {rate} | {bare} | {ratio}")


if __name__ == "__main__":
    main()
