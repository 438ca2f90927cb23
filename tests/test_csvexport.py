"""The one CSV writer: no cell of any export opens as a spreadsheet formula."""
import csv
import io

import pytest

from community.csvexport import csv_text, safe_cell


@pytest.mark.parametrize("value", ["=1+1", '=HYPERLINK("https://evil.example","x")', "+1", "-2",
                                   "@SUM(A1)", "\t=1", "\r=1", "|cmd", "%0A"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value, expected", [("Ana", "Ana"), ("", ""), (None, ""), (42, "42"),
                                             ("a=b", "a=b"), ("O'Brien", "O'Brien")])
def test_ordinary_cells_are_left_as_they_are(value, expected):
    assert safe_cell(value) == expected


def test_csv_text_makes_the_header_and_every_row_safe_and_quotes_properly():
    text = csv_text(["Name", "=Title"], [["Ana, \"the\" planner", "-5"], ["Bo", "ok"]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "'=Title"], ['Ana, "the" planner', "'-5"], ["Bo", "ok"]]
