"""Library fixtures: real small files and the share form's data."""
import pytest

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


def share_form(**overrides):
    """Form data for the share page; tests add the file or a link."""
    data = {"title": "Stanislaus CWS and CalWORKs MOU", "summary": "Our signed agreement.",
            "doc_type": "mou", "county_id": "0", "program": "linkages", "visibility": "members",
            "toolkit_areas": ["definitional"], "strategies": ["linkages-teams"],
            "tags": "mou, governance", "year": "2023", "note": ""}
    data.update(overrides)
    return data

