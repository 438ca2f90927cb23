"""The demo newsletter data makes every newsletter page look lived-in."""
from sqlalchemy import select

from community.cli import seed_demo
from community.extensions import db
from newsletters.models import Block, Delivery, Issue, Subscriber


def test_the_demo_has_subscribers_of_every_kind_and_issues_in_every_state(app, client, sign_in):
    seed_demo(app)
    db.session.commit()
    counts = Subscriber.count_by_status()
    assert sum(counts.values()) == 150 and all(counts.values())
    assert db.session.scalar(select(db.func.count()).select_from(Subscriber)
                             .where(Subscriber.source == "member")) == 5
    statuses = sorted(i.status for i in db.session.scalars(select(Issue)))
    assert statuses == ["draft", "scheduled", "sent", "sent"]
    draft = db.session.scalar(select(Issue).where(Issue.status == "draft"))
    assert {b.kind for b in draft.blocks} == set(Block.KINDS)
    for issue in db.session.scalars(Issue.archived()):
        assert Delivery.progress(issue.id)["sent"] > 80

    archive = client.get("/newsletter").get_data(as_text=True)
    assert "Stanislaus at twenty-five" in archive and draft.subject not in archive
    from community.accounts.models import User

    organizer = db.session.scalar(User.by_email("organizer@linkages.example.org"))
    client.post("/sign-in", data={"email": organizer.email, "password": "linkages-demo"})
    assert client.get("/newsletters/manage").status_code == 200
    assert client.get(f"/newsletters/manage/{draft.id}/preview").status_code == 200


def test_the_demo_draft_uses_the_other_features_content_when_they_offer_it(app, providers):
    seed_demo(app)
    draft = db.session.scalar(select(Issue).where(Issue.status == "draft"))
    cards = {b.kind: [c["title"] for c in b.cards] for b in draft.blocks}
    assert cards["events"] == ["Monthly webinar: mutual cases at intake"]
    assert cards["resources"] == ["Shared release of information"]
