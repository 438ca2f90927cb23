"""Newsletter cards are checked when an issue is shown or sent (issue 9, leak 8): a resource made
cluster-only after the issue went out disappears from the archive, and never goes out again."""
from community import jobs
from community.clusters.models import Cluster
from community.extensions import db
from community.resources import services as library
from newsletters import provides, rendering, services
from newsletters.models import Issue

TITLE = "Marrowfield shared release of information"


def _share_public_resource(organizer):
    resource = library.share_resource(organizer, library.ResourceDetails(
        title=TITLE, doc_type="form", summary="A template both programs sign.",
        visibility="public", link_url="https://example.org/roi"))
    db.session.commit()
    jobs.run_ready()
    return resource


def _sent_issue_with_new_resources(organizer, make_subscribers):
    make_subscribers(1)
    issue = services.create_issue(organizer, "Linkages Winter 2027")
    services.save_block(organizer, issue, "resources", heading="New in the library")
    db.session.commit()
    services.send_issue_now(organizer, issue)
    db.session.commit()
    jobs.run_ready()
    return db.session.get(Issue, issue.id)


def _make_cluster_only(resource, organizer):
    cluster = Cluster(slug="data-evaluation", name="Data & Evaluation")
    db.session.add(cluster)
    db.session.commit()
    library.update_resource(resource, organizer, library.ResourceDetails(
        title=TITLE, doc_type="form", summary="A template both programs sign.",
        visibility="clusters", cluster_ids=[cluster.id], link_url=resource.link_url))
    db.session.commit()
    jobs.run_ready()


def test_the_archive_no_longer_shows_a_resource_title_after_it_became_cluster_only(
        app, client, organizer, make_subscribers, outbox):
    resource = _share_public_resource(organizer)
    issue = _sent_issue_with_new_resources(organizer, make_subscribers)
    assert [m for m in outbox.messages() if TITLE in m.get_body(("plain",)).get_content()]
    assert TITLE in client.get(f"/newsletter/{issue.id}/web.html").get_data(as_text=True)

    _make_cluster_only(resource, organizer)
    web = client.get(f"/newsletter/{issue.id}/web.html").get_data(as_text=True)
    assert TITLE not in web and "A template both programs sign" not in web
    page = client.get(f"/newsletter/{issue.id}-{issue.slug}").get_data(as_text=True)
    assert TITLE not in page and "New in the library" in page  # the archive page, in the page
    assert f"/library/{resource.id}" not in web
    assert "New in the library" in web  # the block stays, without the card
    rendered = rendering.render_issue(db.session.get(Issue, issue.id))
    assert TITLE not in rendered.html and TITLE not in rendered.text


def test_a_newsletter_search_document_carries_no_card_title(
        app, organizer, make_subscribers):
    _share_public_resource(organizer)
    issue = _sent_issue_with_new_resources(organizer, make_subscribers)
    (document,) = [d for d in provides.search_documents() if d.id == str(issue.id)]
    assert TITLE not in document.text
