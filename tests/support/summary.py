"""Sections printed after the run (guard precision/recall, pages checked with axe and Nu).

Tests add lines with `add(title, line)`. Under pytest-xdist each worker sends its lines to the
controlling process (`workeroutput`), which prints them once, so the summary reads the same
whether the suite ran serially or in parallel.
"""
import json

import pytest

SECTIONS: dict[str, list[str]] = {}


def add(title, *lines):
    SECTIONS.setdefault(title, []).extend(lines)


def replace(title, lines):
    SECTIONS[title] = list(lines)


def pytest_sessionfinish(session):
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: hand the lines to the controller
        output["summary_sections"] = json.dumps(SECTIONS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    sent = getattr(node, "workeroutput", {}).get("summary_sections")
    for title, lines in json.loads(sent or "{}").items():
        add(title, *lines)


def pytest_terminal_summary(terminalreporter):
    for title, lines in SECTIONS.items():
        terminalreporter.section(title)
        for line in sorted(set(lines)) if title.startswith("pages") else lines:
            terminalreporter.write_line(line)
