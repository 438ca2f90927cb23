"""Print the confidentiality guard's precision and recall per kind after every test run."""

#: Lines written by test_rules.py's corpus measurement, shown in the terminal summary.
REPORT = []


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("confidentiality guard: precision and recall per kind")
        for line in REPORT:
            terminalreporter.write_line(line)
