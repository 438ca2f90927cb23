"""The content seams: change notices after commit, and providers."""
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


def test_providers_answer_none_when_no_feature_registered_them(app):
    assert content.provide("nobody.offers.this") is None
    content.register_provider(app, "test.cards", lambda n: [content.ContentCard("x", f"t{n}", "/")])
    assert content.provide("test.cards", 1)[0].title == "t1"
    content.register_provider(app, "test.cards", lambda n: None)
    assert content.provide("test.cards", 1) is None  # the later registration overrides
    assert len(content.provide_all("test.cards", 2)) == 1
