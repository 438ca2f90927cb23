"""What technical assistance offers the rest of the site: navigation, demo data, the search source."""
from .. import content, ui
from ..extensions import db
from ..permissions import COUNTY, can
from . import demo
from .models import AssistanceRequest


def register(app):
    ui.add_nav(app, "Help", "assistance.index", order=46,
               visible=lambda user: can(user, "view_members") and (user.county_id is not None or can(user, "organize")))
    ui.add_demo_seed(app, "assistance", demo.seed_requests, order=65)
    content.register_source(app, "assistance", "Help requests", search_documents)


def search_documents(ids=None):
    """SearchDocuments for requests (all, or these ids): found only by the county's staff and CFPIC,
    by their topic, details, the notes shared with the county (never CFPIC's internal notes) and
    the text of their files (never of a file the confidentiality guard holds)."""
    wanted = None if ids is None else [int(i) for i in ids if str(i).isdigit()]
    if wanted == []:
        return
    for request in db.session.scalars(AssistanceRequest.with_ids(wanted)):
        shared = [note.body for note in request.notes if note.shared]
        shared += [file.text for file in request.attachments if file.text and not file.is_held]
        yield content.SearchDocument(
            kind="assistance", id=str(request.id), title=request.topic,
            text="\n\n".join([request.details or "", *shared]), url=f"/assistance/{request.id}",
            visibility=COUNTY, county_id=request.county_id, summary=(request.details or "")[:300],
            created_at=request.created_at, updated_at=request.updated_at,
            facets={"county": request.county.name if request.county else "",
                    "toolkit_area": [request.toolkit_area] if request.toolkit_area else [],
                    "strategy": [request.strategy] if request.strategy else [],
                    "year": request.created_at.year if request.created_at else ""})
