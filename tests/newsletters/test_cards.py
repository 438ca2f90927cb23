"""Cards as readers see them: a series on one line, descriptions cut at a sentence, lists kept;
the archived issue in the page at full length, and in the feed."""
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from community import content, jobs
from community.extensions import db
from community.markup import plain_lines
from newsletters import services
from newsletters.blocks import excerpt
from newsletters.models import Issue
from newsletters.rendering import render_issue
from tests.newsletters.conftest import register_test_providers

ATOM = "{http://www.w3.org/2005/Atom}"
DESCRIPTION = ("One hour, third Tuesday of the month: a county shows how it coordinates CWS and "
               "CalWORKs case plans.\n- Bring a case question.\n- Slides are shared afterwards.")


def _webinar(when):
    return content.ContentCard(kind="event", title="Monthly webinar", url="/events/5", when=when,
                               summary=DESCRIPTION, meta="Webinar · Online")


@pytest.fixture
def series(app):
    """Three Tuesdays of one webinar series and one convening, as the calendar offers them."""
    register_test_providers(app)

    def events(start, end):  # 10:00 PST is 18:00 UTC
        return [_webinar(datetime(2027, 1, 5, 18)),
                content.ContentCard(kind="event", title="Linkages Convening 2027", url="/events/41",
                                    when=datetime(2027, 1, 7, 16, 30), meta="Convening"),
                _webinar(datetime(2027, 1, 12, 18)), _webinar(datetime(2027, 2, 2, 18))]

    content.register_provider(app, "events.upcoming_public", events)
    content.register_provider(app, "cards.for_paths", lambda paths, viewer: {
        path: content.ContentCard(kind="event", title="", url=path) for path in paths
        if path == "/events/5"})


def test_a_series_is_one_card_with_its_dates_on_one_line(app, organizer, series):
    issue = services.create_issue(organizer, "Winter 2027")
    block = services.save_block(organizer, issue, "events", "", "",
                                {"start": "2027-01-01", "end": "2027-02-28"})
    assert [card["title"] for card in block.cards] == ["Monthly webinar", "Linkages Convening 2027"]
    assert block.cards[0]["when"] == "Tuesdays: Jan 5, 12; Feb 2, 2027 · 10:00 AM PST"
    assert block.cards[1]["when"] == "Thu, Jan 7, 2027 · 8:30 AM PST"


def test_a_long_description_is_cut_after_a_whole_sentence_with_an_ellipsis():
    text = ("Fresno's teams met weekly for a year. They now share one case plan per family. "
            "The evaluation, written with the county's research unit, follows sixty families "
            "from referral to closure and counts what changed for them along the way.")
    assert excerpt(text, 120) == ("Fresno's teams met weekly for a year. They now share one case "
                                  "plan per family. …")
    assert excerpt("word " * 60, 50).endswith("word…") and len(excerpt("word " * 60, 50)) <= 51
    assert excerpt("Short and whole.") == "Short and whole."


def test_list_items_stay_lines_and_an_overflowing_one_ends_the_excerpt():
    assert plain_lines("Bring:\n\n- a *case* question\n- your slides\n\n1. first") == \
        "Bring:\n- a case question\n- your slides\n- first"
    assert excerpt("Bring:\n- a case question\n- " + "long " * 50, 60) == \
        "Bring:\n- a case question …"


def test_markdown_lists_stay_lists_in_the_email_and_the_text(app, organizer, series):
    issue = services.create_issue(organizer, "Winter 2027")
    services.save_block(organizer, issue, "events", "", "", {"start": "2027-01-01",
                                                             "end": "2027-02-28"})
    rendered = render_issue(issue)
    assert '<ul class="card-list"' in rendered.html
    assert "<li>Bring a case question.</li>" in rendered.html.replace("\n", "")
    assert "\n  - Bring a case question.\n  - Slides are shared afterwards." in rendered.text


def _send(organizer, compose_issue, make_subscribers):
    make_subscribers(1)
    issue = compose_issue(organizer, "Linkages Spring 2027")
    services.save_block(organizer, issue, "events", "", "", {"start": "2027-01-01",
                                                             "end": "2027-02-28"})
    services.send_issue_now(organizer, issue)
    db.session.commit()
    jobs.run_ready()
    return db.session.get(Issue, issue.id)


def test_the_archived_issue_is_in_the_page_itself_not_in_a_frame(
        client, organizer, compose_issue, make_subscribers, series):
    sent = _send(organizer, compose_issue, make_subscribers)
    page = client.get(f"/newsletter/{sent.id}-{sent.slug}").get_data(as_text=True)
    assert "<iframe" not in page
    assert "County spotlight: Fresno County" in page and "<em>weekly</em>" in page
    assert "Tuesdays: Jan 5, 12; Feb 2, 2027" in page
    assert '<a class="button" href="https://linkages.example.org/share">' in page
    assert "unsubscribe" not in page.lower()


def test_atom_entries_carry_the_issues_content(client, organizer, compose_issue,
                                               make_subscribers, series):
    sent = _send(organizer, compose_issue, make_subscribers)
    root = ET.fromstring(client.get("/newsletter/feed.atom").data)
    entry = root.find(f"{ATOM}entry")
    body = entry.find(f"{ATOM}content")
    assert body.get("type") == "html"
    assert "<h2 class=\"block-heading\">County spotlight: Fresno County</h2>" in body.text
    assert 'href="http://community.test/events/5"' in body.text  # links absolute in a feed
    assert "<strong>winter</strong>" in body.text and sent.subject == entry.findtext(f"{ATOM}title")
