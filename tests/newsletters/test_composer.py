"""Composing: blocks filled only through content providers, snapshots, refusals, ordering, scheduling."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from community import content
from community.errors import DomainError
from community.extensions import db
from community.permissions import NotAllowed
from community.timeutil import utcnow
from newsletters import delivery, services
from newsletters.blocks import BlockError
from newsletters.models import Block, Issue
from newsletters.rendering import render_issue
from tests.newsletters.conftest import PRIVATE_THREAD, PUBLIC_THREAD


@pytest.fixture
def draft(app, organizer):
    issue = services.create_issue(organizer, "Linkages Winter 2027", "Fresno in focus", "Hello.")
    db.session.commit()
    return issue


def test_each_block_kind_takes_its_content_from_the_providers(app, organizer, draft, providers):
    services.save_block(organizer, draft, "story", "Spotlight", "Fresno meets **weekly**.")
    events = services.save_block(organizer, draft, "events", "", "",
                                 {"start": "2027-01-04", "end": "2027-01-31"})
    resources = services.save_block(organizer, draft, "resources")
    highlights = services.save_block(organizer, draft, "highlights", "From the clusters", "",
                                     {"thread_ids": [PUBLIC_THREAD]})
    services.save_block(organizer, draft, "cta", "Join us", "", {
        "button_text": "Register", "button_url": "https://linkages.example.org/register"})
    db.session.commit()

    assert [b.kind for b in draft.blocks] == ["story", "events", "resources", "highlights", "cta"]
    assert events.heading == "Upcoming events"  # the kind's name when left empty
    assert events.cards[0]["title"] == "Monthly webinar: mutual cases at intake"
    # The chosen Pacific dates become a UTC range: midnight PST is 08:00 UTC.
    assert providers[0] == ("events", datetime(2027, 1, 4, 8), datetime(2027, 2, 1, 8))
    assert resources.cards[0]["meta"] == "Form · Stanislaus County"
    assert highlights.cards == [{"kind": "thread", "title": "Announcing the 2027 convening dates",
                                 "url": "/forums/threads/7", "summary": "", "meta": "", "when": ""}]
    html = render_issue(draft).html
    assert "http://community.test/forums/threads/7" in html
    assert "Members-only excerpt text" not in html  # highlights: title and link only


def test_a_thread_the_public_cannot_follow_is_refused_with_the_reason(app, organizer, draft,
                                                                       providers):
    with pytest.raises(BlockError, match="private Family Engagement cluster"):
        services.save_block(organizer, draft, "highlights", "", "",
                            {"thread_ids": [PUBLIC_THREAD, PRIVATE_THREAD]})
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Block)) == 0


ONLY_NEWSLETTERS = ["community.accounts", "community.core", "newsletters"]


def test_without_the_calendar_the_composer_says_so_plainly(app_factory, make_user):
    with app_factory(FEATURES=ONLY_NEWSLETTERS).app_context():
        organizer = make_user(role="organizer")
        draft = services.create_issue(organizer, "Linkages Winter 2027")
        with pytest.raises(BlockError, match="The calendar is not available"):
            services.save_block(organizer, draft, "events", "", "",
                                {"start": "2027-01-04", "end": "2027-01-31"})
        with pytest.raises(BlockError, match="The resource library is not available"):
            services.save_block(organizer, draft, "resources")
        with pytest.raises(BlockError, match="The forums are not available"):
            services.save_block(organizer, draft, "highlights", "", "", {"thread_ids": [7]})


def test_new_resources_are_those_since_the_previous_sent_issue(app, organizer, draft, providers):
    earlier = services.create_issue(organizer, "Linkages Fall 2026")
    earlier.status, earlier.sent_at = "sent", datetime(2026, 9, 15, 17)
    db.session.flush()
    services.save_block(organizer, draft, "resources")
    assert providers[-1] == ("resources", datetime(2026, 9, 15, 17))


def test_cards_are_a_snapshot_the_archive_keeps_when_the_site_changes(app, organizer, draft,
                                                                      providers):
    block = services.save_block(organizer, draft, "resources")
    db.session.commit()
    app.extensions["community.content"]["providers"]["resources.new_public"] = [
        lambda since: [content.ContentCard(kind="resource", title="Renamed later", url="/library/9")]]
    assert "Shared release of information" in render_issue(draft).html
    assert block.cards[0]["title"] == "Shared release of information"


def test_sending_refreshes_cards_and_drops_a_highlight_that_stopped_being_public(
        app, organizer, draft, providers, make_subscribers):
    make_subscribers(1)
    block = services.save_block(organizer, draft, "highlights", "", "",
                                {"thread_ids": [PUBLIC_THREAD]})
    db.session.commit()

    def now_private(thread_id):
        raise content.NotPublic("the cluster was made private")

    app.extensions["community.content"]["providers"]["forums.public_thread_card"] = [now_private]
    assert delivery.claim_issue(draft.id, force=True)
    assert block.cards == []


def test_blocks_move_up_and_down_and_are_removed(app, organizer, draft):
    first = services.save_block(organizer, draft, "story", "One", "1")
    second = services.save_block(organizer, draft, "story", "Two", "2")
    third = services.save_block(organizer, draft, "story", "Three", "3")
    services.move_block(organizer, third, -1)
    assert [b.heading for b in draft.blocks] == ["One", "Three", "Two"]
    services.move_block(organizer, first, -1)  # already first: stays
    services.remove_block(organizer, third)
    db.session.commit()
    assert [(b.heading, b.position) for b in draft.blocks] == [("One", 0), ("Two", 1)]
    assert second.position == 1


def test_story_markdown_is_sanitized(app, organizer, draft):
    block = services.save_block(organizer, draft, "story", "S",
                                "Hi <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in block.body_html and "href=\"javascript" not in block.body_html


def test_a_sent_issue_can_no_longer_change(app, organizer, draft, make_subscribers):
    make_subscribers(1)
    services.send_issue_now(organizer, draft)
    with pytest.raises(DomainError):
        services.update_issue(organizer, draft, "Changed", "", "")
    with pytest.raises(DomainError):
        services.save_block(organizer, draft, "story", "Late", "too late")


def test_scheduling_needs_a_future_time_and_can_be_cancelled(app, organizer, draft):
    with pytest.raises(DomainError, match="future"):
        services.schedule_issue(organizer, draft, utcnow() - timedelta(minutes=1))
    services.schedule_issue(organizer, draft, utcnow() + timedelta(days=2))
    assert draft.status == "scheduled"
    services.unschedule_issue(organizer, draft)
    assert (draft.status, draft.scheduled_at) == ("draft", None)


def test_only_organizers_compose(app, make_user, draft):
    member = make_user()
    with pytest.raises(NotAllowed):
        services.create_issue(member, "Mine")
    with pytest.raises(NotAllowed):
        services.save_block(member, draft, "story", "x", "y")


def test_a_test_send_goes_only_to_the_organizer_marked_as_a_test(app, organizer, draft, outbox,
                                                                 make_subscribers):
    make_subscribers(2)
    services.send_test(organizer, draft)
    db.session.commit()
    from community import jobs

    jobs.run_ready()
    messages = outbox.messages()
    assert len(messages) == 1
    assert messages[0]["To"].addresses[0].addr_spec == organizer.email
    assert messages[0]["Subject"] == "[Test] Linkages Winter 2027"
    # The organizer is no subscriber: a mailbox's "Unsubscribe" button must not be offered.
    assert "List-Unsubscribe" not in messages[0] and "List-Unsubscribe-Post" not in messages[0]
    assert messages[0]["List-Id"]
    assert db.session.get(Issue, draft.id).status == "draft"


def test_an_issue_made_without_a_preheader_or_introduction_field_is_made(app, organizer):
    issue = services.create_issue(organizer, "Linkages Spring 2027", preheader=None, introduction=None)
    assert (issue.preheader, issue.introduction) == ("", "")
