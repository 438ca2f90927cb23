"""The county list every form with a county shows: read once per app, forgotten when it changes."""
import pytest
from sqlalchemy import delete, insert

from community.accounts import services
from community.accounts.models import County
from community.extensions import db
from tests.support.queries import count_queries


@pytest.fixture
def extra_county(app):
    """Removes the county the test adds (the counties table is kept between tests)."""
    yield "Atlantis"
    db.session.rollback()
    db.session.execute(delete(County).where(County.name == "Atlantis"))
    db.session.commit()


def _county_queries(statements):
    return [s for s in statements if "counties" in s]


def test_the_account_request_form_reads_the_counties_once_per_app_not_per_page(client, app):
    first = client.get("/request-account").get_data(as_text=True)
    assert "Stanislaus County" in first
    with count_queries(app) as statements:
        again = client.get("/request-account").get_data(as_text=True)
    assert _county_queries(statements) == []
    assert again.count("<option") == first.count("<option")


def test_a_county_added_in_this_process_shows_on_the_next_page(client, app, extra_county):
    client.get("/request-account")
    db.session.add(County(name=extra_county, slug="atlantis"))
    db.session.commit()
    assert "Atlantis County" in client.get("/request-account").get_data(as_text=True)


def test_a_county_added_then_rolled_back_is_not_kept_in_the_list(client, app, extra_county):
    client.get("/request-account")
    db.session.add(County(name=extra_county, slug="atlantis"))
    db.session.flush()
    assert "Atlantis" in dict(services.counties()).values()  # read inside the transaction
    db.session.rollback()
    assert "Atlantis" not in dict(services.counties()).values()


def test_a_county_added_by_another_process_shows_once_the_cache_time_has_passed(
        client, app, extra_county, monkeypatch, pages_built):
    # (A page kept whole while the list was still the old one keeps it at most until the minute
    # turns or the database changes: see caching.whole_page.)
    client.get("/request-account")
    with db.engine.begin() as other_process:  # no ORM events: as if another worker or machine did it
        other_process.execute(insert(County).values(name=extra_county, slug="atlantis", is_linkages=False))
    assert "Atlantis County" not in client.get("/request-account").get_data(as_text=True)
    monkeypatch.setattr(services, "COUNTY_CACHE_SECONDS", -1)
    assert "Atlantis County" in client.get("/request-account").get_data(as_text=True)
