"""Benchmarks: each scenario module has `run(options) -> list of result rows`."""
