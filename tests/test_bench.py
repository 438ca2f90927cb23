"""`make bench` runs every scenario module in bench/: each must have the `run(seconds)` it calls."""
import importlib
import inspect

from bench.__main__ import scenarios


def test_every_scenario_make_bench_runs_has_a_run_function():
    names = scenarios()
    assert {"events", "forums", "home", "newsletters", "pages", "search"} <= set(names)
    for name in names:
        run = getattr(importlib.import_module(f"bench.{name}"), "run", None)
        assert callable(run), f"bench/{name}.py is run by `make bench` but has no run()"
        assert "seconds" in inspect.signature(run).parameters, name
