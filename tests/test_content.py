"""The content seams: change notices after commit, and providers."""
import pytest

from community import content, jobs
from community.extensions import db


def test_change_notices_are_sent_only_after_commit(app):
    received = []

    def listener(kind, ids, removed):
        received.append((kind, ids, removed))

    content.content_changed.connect(listener)
    try:
        content.announce_changed("resource", [1, 2])
        db.session.rollback()
        content.announce_removed("resource", [3])
        db.session.commit()
        jobs.run_ready()
    finally:
        content.content_changed.disconnect(listener)
    assert received == [("resource", ["3"], True)]


def test_a_missing_provider_is_told_apart_from_a_provider_answering_nothing(app):
    with pytest.raises(content.NoProvider):
        content.provide("nobody.offers.this")
    assert not content.offers("test.cards")
    content.register_provider(app, "test.cards", lambda n: [content.ContentCard("x", f"t{n}", "/")])
    assert content.offers("test.cards")
    assert content.provide("test.cards", 1)[0].title == "t1"
    content.register_provider(app, "test.cards", lambda n: None)
    assert content.provide("test.cards", 1) is None  # the later registration overrides
    assert len(content.provide_all("test.cards", 2)) == 1
    assert content.provide_all("nobody.offers.this") == []


def test_paths_to_finds_the_route_argument_of_the_paths_routed_to_the_endpoints(app):
    paths = ["/library/12", "/library/13/", "/library/14?from=mail", "/library/15#top",
             "/library/16/download", "/library/x", "/library/99999999999999", "library/17",
             "/events/18", "", None]
    assert content.paths_to(paths, "resources.show", "resource_id") == {
        "/library/12": 12, "/library/13/": 13, "/library/14?from=mail": 14, "/library/15#top": 15}
    assert content.paths_to(paths, {"resources.show", "convenings.event_page"}, "event_id") == {
        "/events/18": 18}


def test_no_module_but_content_reads_the_provider_registry():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readers = [str(path.relative_to(root)) for package in ("community", "newsletters")
               for path in (root / package).rglob("*.py")
               if path.name != "content.py" and '"community.content"' in path.read_text()]
    assert readers == []
