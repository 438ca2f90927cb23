"""Run benchmarks: `python -m bench [scenario ...]` (default: all). Scenarios are modules here
with a `run(seconds)` function; each serves the real app under gunicorn next to a bare Flask app."""
import argparse
import importlib
import pkgutil
from pathlib import Path

SKIP = {"common", "hello_app"}


def main():
    here = Path(__file__).parent
    available = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in SKIP)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=available + [[]], default=[])
    parser.add_argument("--seconds", type=float, default=5.0, help="load duration per measurement")
    parser.add_argument("--documents", type=int, help="search: documents in the corpus (default 20000)")
    options = parser.parse_args()
    for name in options.scenarios or available:
        extra = {"documents": options.documents} if name == "search" and options.documents else {}
        importlib.import_module(f"bench.{name}").run(seconds=options.seconds, **extra)


if __name__ == "__main__":
    main()
