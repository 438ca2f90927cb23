"""Library fixtures: real small files, an upload helper and a query counter."""
import io
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from community.extensions import db
from community.resources.demo import make_docx, make_pdf

PARAGRAPHS = [
    "This Memorandum of Understanding coordinates Child Welfare Services and CalWORKs for mutual families.",
    "Staff use the shared release of information form before any case conference.",
]


@pytest.fixture
def pdf_bytes():
    return make_pdf("Stanislaus MOU", PARAGRAPHS)


@pytest.fixture
def docx_bytes():
    return make_docx("Cross-training curriculum", ["Module 1: Emergency Response timelines for CalWORKs staff."])


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block (on the app's engine)."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def share_form(**overrides):
    """Form data for the share page, with a file unless `file=None` or a link is given."""
    data = {"title": "Stanislaus CWS and CalWORKs MOU", "summary": "Our signed agreement.",
            "doc_type": "mou", "county_id": "0", "program": "linkages", "visibility": "members",
            "toolkit_areas": ["definitional"], "strategies": ["linkages-teams"],
            "tags": "mou, governance", "year": "2023", "note": ""}
    data.update(overrides)
    return data


def file_field(data, name):
    return (io.BytesIO(data), name)
