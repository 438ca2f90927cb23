"""What accounts give the rest of the site: navigation entries and people in the site search.

The only accounts module that touches `community.ui` and `community.content`.
"""
from sqlalchemy import select

from .. import content, ui
from ..extensions import db
from ..permissions import MEMBERS, can
from .models import User


def register(app):
    ui.add_nav(app, "People", "accounts.people", order=80,
               visible=lambda user: can(user, "view_members"))
    ui.add_nav(app, "Admin", "admin.people", order=90, visible=lambda user: can(user, "admin"))
    content.register_source(app, "person", "People", search_documents)


def search_documents(ids=None):
    """Active people, found by name, job title, county, program and bio; seen by members only."""
    query = select(User).where(User.status == "active")
    if ids is not None:
        query = query.where(User.id.in_([int(i) for i in ids]))
    for person in db.session.scalars(query):
        place = str(person.county) if person.county else "Statewide"
        yield content.SearchDocument(
            kind="person", id=str(person.id), title=person.name,
            text=" ".join([person.name, person.title or "", place, person.program_label, person.bio or ""]),
            url=f"/people/{person.handle}", visibility=MEMBERS,
            summary=" · ".join(part for part in (person.title, place, person.program_label) if part),
            created_at=person.created_at, updated_at=person.created_at,
            facets={"county": person.county.name if person.county else "", "program": person.program})


def person_changed(user):
    """After commit, the search shows the person as they are now (or no longer, when inactive)."""
    content.announce_changed("person", [user.id], narrowed=True)
