"""Sent issues as search documents (public: the archive is public)."""
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.content import SearchDocument
from community.extensions import db
from community.mail import external_url
from community.permissions import PUBLIC

from .models import Issue


def fetch(ids=None):
    """Yield a SearchDocument per sent issue (all of them, or those in `ids`)."""
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
        yield SearchDocument(
            kind="newsletter", id=str(issue.id), title=issue.subject,
            text="\n".join(p for p in parts if p), summary=issue.preheader,
            url=urlparse(external_url("newsletters.issue_page", issue_id=issue.id,
                                      slug=issue.slug)).path,
            visibility=PUBLIC, created_at=issue.sent_at, updated_at=issue.sent_at,
            facets={"year": issue.sent_at.year if issue.sent_at else None})
