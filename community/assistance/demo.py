"""Demo technical-assistance requests: a season of what counties ask CFPIC, in every state."""
from datetime import timedelta

from urllib.parse import urlsplit

from .. import content
from ..core.demo import demo_user
from ..extensions import db
from ..timeutil import utcnow
from .models import AssistanceLink, AssistanceNote, AssistanceRequest

ORGANIZER, ADMIN = "organizer@linkages.example.org", "admin@linkages.example.org"

#: (requester, topic, details, area, strategy, urgency, format, status, days ago, note from CFPIC)
REQUESTS = [
    ("maria.lopez@stanislaus.example.gov", "Refreshing our joint case review protocol",
     "Our monthly joint case reviews have drifted into status updates. We would like examples of agendas "
     "that keep the focus on coordinated case plans.", "assessment-planning", "joint-case-reviews", "normal",
     "documents", "resolved", 60, "Attached the Santa Clara and Tulare agendas; both keep a 15-minute slot per family."),
    ("tanya.brooks@sbcounty.example.gov", "Cross-training for new Welfare-to-Work case managers",
     "We hired eleven case managers this fall. We would like the standard Linkages cross-training, adapted to "
     "our Family Reunification timelines.", "training", "cross-training", "normal", "training", "scheduled", 21,
     "We can bring the one-day curriculum in January; Renee will confirm the room."),
    ("luis.ramirez@fresno.example.gov", "Identifying mutual cases from CalSAWS and CWS/CMS",
     "Our match runs monthly and misses families who apply after the referral. What match rules do other "
     "counties use?", "evaluation", "identifying-mutual-cases", "urgent", "call", "in_progress", 9,
     "Kern and San Joaquin run a weekly match on the case name and date of birth fields; notes from the call follow."),
    ("kevin.nguyen@santaclara.example.gov", "Budgeting a co-located employment counselor",
     "We want to co-locate a CalWORKs employment counselor in the Family Maintenance unit and need a joint "
     "fiscal plan our Board will accept.", "fiscal", "joint-fiscal-plans", "normal", "documents", "new", 3, None),
    ("hector.villanueva@tulare.example.gov", "Sustaining Linkages after our grant ends",
     "Our implementation grant ends in June. How have other counties kept the Linkages team funded?",
     "sustainability", "linkages-teams", "low", "call", "new", 12, None),
    ("grace.kim@sandiego.example.gov", "Explaining Linkages to new supervisors",
     "A short presentation for supervisor onboarding, in plain language, about why both programs plan together.",
     "communication", "coordinated-case-planning", "normal", "documents", "resolved", 95,
     "Shared the convening slides and the two-page overview used in Stanislaus."),
    ("daniel.ortiz@riverside.example.gov", "CalWORKs staff at Team Decision Meetings",
     "Our TDM facilitators are unsure when to invite the CalWORKs worker. Is there a screening question others use?",
     "definitional", "tdm-fgc", "normal", "call", "in_progress", 30,
     "Call held; Los Angeles's invitation checklist is attached below."),
]

#: Earlier, resolved requests: (county staff e-mail, topic, toolkit area, strategy, format, days ago).
HISTORY = [
    ("aisha.patel@alameda.example.gov", "Screening question for mutual families at intake", "assessment-planning",
     "identifying-mutual-cases", "documents", 200),
    ("sarah.mitchell@sacramento.example.gov", "Aligning reunification and Welfare-to-Work plans", "assessment-planning",
     "coordinated-case-planning", "call", 180),
    ("robert.haynes@kern.example.gov", "Data sharing agreement for a weekly case match", "evaluation",
     "identifying-mutual-cases", "documents", 170),
    ("michael.santos@sanjoaquin.example.gov", "Cross-training curriculum for eligibility staff", "training",
     "cross-training", "training", 160),
    ("emily.carter@sonoma.example.gov", "Measuring time to reunification for mutual families", "evaluation",
     "joint-case-reviews", "call", 150),
    ("nancy.wu@sanfrancisco.example.gov", "Housing support for families in Family Maintenance", "definitional",
     "linkages-teams", "call", 140),
    ("patricia.reyes@merced.example.gov", "Clinical academy on engaging sanctioned families", "training",
     "tdm-fgc", "training", 130),
    ("james.chen@lacounty.example.gov", "Evaluation plan for our Linkages pilot offices", "evaluation",
     "linkages-teams", "site_visit", 120),
    ("maria.lopez@stanislaus.example.gov", "Presenting Linkages to the Board of Supervisors", "communication",
     "joint-fiscal-plans", "documents", 110),
    ("luis.ramirez@fresno.example.gov", "Training supervisors to run joint case reviews", "training",
     "joint-case-reviews", "training", 100),
    ("kevin.nguyen@santaclara.example.gov", "Claiming for co-located staff time", "fiscal", "co-location",
     "call", 90),
    ("daniel.ortiz@riverside.example.gov", "Updating our shared release of information", "definitional",
     "coordinated-case-planning", "documents", 80),
]


def _history(organizer, now):
    for number, (email, topic, area, strategy, kind, days) in enumerate(HISTORY):
        requester = demo_user(email)
        if requester is None:
            continue
        created = now - timedelta(days=days)
        db.session.add(AssistanceRequest(
            county_id=requester.county_id, requester_id=requester.id, topic=topic,
            details="We would like examples from counties that have done this, and a short call to talk it through.",
            toolkit_area=area, strategy=strategy, urgency="normal", preferred_format=kind, status="resolved",
            assignee_id=organizer.id, created_at=created, updated_at=created + timedelta(days=20),
            first_response_at=created + timedelta(hours=20 + 7 * (number % 5)),
            resolved_at=created + timedelta(days=9 + 3 * (number % 6))))


def seed_requests():
    organizer, admin = demo_user(ORGANIZER), demo_user(ADMIN)
    now = utcnow()
    _history(organizer, now)
    try:
        cards = content.provide("resources.new_public", now - timedelta(days=3650)) or []
    except content.NoProvider:  # no library installed: requests without attached resources
        cards = []
    library_paths = [urlsplit(card.url).path for card in cards[:3]]
    for number, (email, topic, details, area, strategy, urgency, kind, status, days, note) in enumerate(REQUESTS):
        requester = demo_user(email)
        if requester is None:
            continue
        created = now - timedelta(days=days, hours=number)
        request = AssistanceRequest(
            county_id=requester.county_id, requester_id=requester.id, topic=topic, details=details,
            toolkit_area=area, strategy=strategy, urgency=urgency, preferred_format=kind, status=status,
            created_at=created, updated_at=created,
            assignee_id=(organizer.id if number % 2 == 0 else admin.id) if status != "new" else None,
            first_response_at=created + timedelta(days=1 + number % 3) if status != "new" else None,
            resolved_at=created + timedelta(days=14 + number) if status == "resolved" else None)
        if status == "scheduled":
            request.scheduled_at = now + timedelta(days=16)
            request.meeting_link = "https://meet.example.org/cfpic-cross-training"
            request.sequence = 1
        db.session.add(request)
        db.session.flush()
        if note:
            db.session.add(AssistanceNote(request_id=request.id, author_id=request.assignee_id, body=note, shared=True,
                                          created_at=request.first_response_at))
        if status == "in_progress":
            db.session.add(AssistanceNote(request_id=request.id, author_id=organizer.id, shared=False,
                                          body="Internal: ask the Data & Evaluation cluster to share their match rules.",
                                          created_at=created + timedelta(days=2)))
        if library_paths and status in ("resolved", "in_progress"):
            db.session.add(AssistanceLink(request_id=request.id, path=library_paths[number % len(library_paths)],
                                          added_by_id=organizer.id, added_at=created + timedelta(days=3)))
