"""How the newsletter plugs into the rest of the site: the only module here that touches
`community.content` (its search source, the providers it asks for cards, what it announces) and
`community.ui` (navigation, stylesheet, the profile section, demo data)."""
from urllib.parse import urlparse

from flask_login import AnonymousUserMixin
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community import content, ui
from community.content import NoProvider, NotPublic  # noqa: F401  (blocks catch them from here)
from community.extensions import db
from community.mail import external_url
from community.permissions import PUBLIC

from .models import Issue

#: The kind of the newsletter's search documents.
KIND = "newsletter"


def register(app):
    """Plug the newsletter into navigation, the profile page, search and the other features."""
    from . import blocks, demo

    ui.add_stylesheet(app, "css/newsletters.css")
    ui.add_nav(app, "Newsletter", "newsletters.archive", order=60)
    ui.add_section(app, "profile", "newsletters/_profile_section.html", profile_section, order=70)
    content.register_source(app, KIND, "Newsletters", search_documents)
    # Connected once per process (blinker keeps one connection per function).
    content.content_purged.connect(blocks.on_content_purged, weak=False)
    ui.add_demo_seed(app, "newsletter", demo.seed_newsletter, order=50)
    content.register_provider(app, "onboarding.steps", onboarding_steps)


def onboarding_steps(user):
    """The newcomer's checklist: subscribe to the partnership's newsletter (from one's profile)."""
    from flask import url_for

    from . import services

    subscriber = services.member_subscription(user)
    return [content.ChecklistStep(
        "Get the Linkages newsletter", subscriber is not None and subscriber.receives_issues,
        url_for("accounts.profile", handle=user.handle) + "#newsletter-section-panel",
        "County spotlights, convening news and new toolkit resources, four times a year.", order=60)]


def profile_section(person, viewer):
    """The newsletter toggle on one's own profile page (nobody else sees it)."""
    from . import services

    if not getattr(viewer, "is_authenticated", False) or viewer.id != person.id:
        return None
    return {"subscriber": services.member_subscription(person)}


def issues_changed(ids):
    """Tell search (after commit) that these issues changed."""
    content.announce_changed(KIND, ids)


# --- What the composer asks other features for (each raises NoProvider when it is absent) -------

def upcoming_events(start, end):
    """ContentCards of public events between two naive UTC times."""
    return content.provide("events.upcoming_public", start, end)


def new_resources(since):
    """ContentCards of public library resources added since a naive UTC time (or ever)."""
    return content.provide("resources.new_public", since)


def public_thread_card(thread_id):
    """The ContentCard of a public thread; raises NotPublic with the reason otherwise."""
    return content.provide("forums.public_thread_card", thread_id)


def public_paths(paths):
    """The paths among `paths` whose target the public may see now, asked of every feature at once."""
    visible = {}
    for answer in content.provide_all("cards.for_paths", sorted(paths), AnonymousUserMixin()):
        visible.update(answer)
    return set(visible)


# --- The search source -----------------------------------------------------------------------

def search_documents(ids=None):
    """Yield a SearchDocument per sent issue (all of them, or those in `ids`); the archive is public."""
    query = (select(Issue).where(Issue.status == "sent").order_by(Issue.id)
             .options(selectinload(Issue.blocks)))
    if ids is not None:
        query = query.where(Issue.id.in_([int(i) for i in ids]))
    for issue in db.session.scalars(query):
        parts = [issue.preheader, issue.introduction]
        for block in issue.blocks:
            # Not the cards' titles: a card's target may become private after the issue is indexed
            # (the resources and events are found by their own documents).
            parts += [block.heading, block.body]
        yield content.SearchDocument(
            kind=KIND, id=str(issue.id), title=issue.subject,
            text="\n".join(p for p in parts if p), summary=issue.preheader,
            url=urlparse(external_url("newsletters.issue_page", issue_id=issue.id,
                                      slug=issue.slug)).path,
            visibility=PUBLIC, created_at=issue.sent_at, updated_at=issue.sent_at,
            facets={"year": issue.sent_at.year if issue.sent_at else None})
