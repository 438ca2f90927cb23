"""Demo newsletter: ~150 subscribers, two sent issues with their deliveries, a draft and a scheduled issue."""
import random
from datetime import timedelta

from sqlalchemy import select

from community.accounts.models import County, User
from community.extensions import db
from community.timeutil import to_pacific, utcnow

from .blocks import BlockError, collect_cards
from .models import Block, Delivery, Issue, Subscriber
from .rendering import markdown_to_html

FIRST = ["Ana", "Brian", "Carmen", "David", "Elena", "Frank", "Gloria", "Henry", "Irene", "Jorge",
         "Karen", "Leticia", "Marcus", "Nora", "Oscar", "Paula", "Quinn", "Rosa", "Samuel", "Teresa",
         "Victor", "Wendy", "Yolanda", "Zachary", "Alicia", "Bernard", "Cynthia", "Diego"]
LAST = ["Alvarez", "Bennett", "Castro", "Delgado", "Evans", "Flores", "Garcia", "Hughes", "Ibarra",
        "Jensen", "Khan", "Lee", "Morales", "Nakamura", "Owens", "Perez", "Quintero", "Robles",
        "Singh", "Torres", "Underwood", "Vargas", "Watson", "Young"]
COUNTIES = ["Stanislaus", "Los Angeles", "San Bernardino", "Fresno", "Alameda", "Sacramento",
            "Riverside", "San Diego", "Kern", "Santa Clara", "Tulare", "Merced", "Sonoma",
            "San Joaquin", "Placer", "Butte", "Humboldt", "Monterey", None]
MEMBER_SUBSCRIBERS = ["maria.lopez@stanislaus.example.gov", "tanya.brooks@sbcounty.example.gov",
                      "linda.foster@cdss.example.gov", "grace.kim@sandiego.example.gov",
                      "hector.villanueva@tulare.example.gov"]

SENT_ISSUES = [
    {
        "days_ago": 150,
        "subject": "Linkages Spring 2026: Stanislaus at twenty-five, and what we heard in Sacramento",
        "preheader": "County spotlight, convening recap and four new toolkit items.",
        "introduction": "Welcome to the spring issue. This quarter we visit Stanislaus County, "
                        "the first Linkages county, and look back at two days of plenaries and "
                        "workshops at the statewide convening.",
        "blocks": [
            ("story", "County spotlight: Stanislaus County",
             "Stanislaus joined Linkages in 2001. Today its CalWORKs and Child Welfare staff share "
             "a **coordinated case plan** for every mutual family, with one team meeting instead of "
             "two.\n\n> “Families tell us they finally have one plan they can actually follow.”\n"
             "> — Linkages Coordinator, Stanislaus County"),
            ("story", "Convening recap: Working together for mutual families",
             "More than 200 county leaders, supervisors and line staff from 38 counties came "
             "together in Sacramento. Highlights:\n\n- a plenary on *shared accountability* for "
             "safety, stability and self-sufficiency;\n- workshops on identifying mutual cases at "
             "intake;\n- a clinical academy on trauma-informed Welfare-to-Work engagement."),
            ("resources", "New in the toolkit", [
                ("Shared release of information (template)", "/library", "Form · Stanislaus County"),
                ("Coordinated case planning protocol", "/library", "Practice protocol · Los Angeles County"),
                ("Linkages fiscal plan worksheet", "/library", "Fiscal plan · Fresno County"),
                ("Collaboration checklist for directors and managers", "/library", "Handbook · CFPIC"),
            ]),
            ("cta", "Share your county's practice",
             "Has your county tried something that works for mutual families? Tell us, and we may "
             "feature it in the next issue.", "Share a practice", "https://linkages.example.org/about"),
        ],
    },
    {
        "days_ago": 60,
        "subject": "Linkages Summer 2026: data that shows the partnership works",
        "preheader": "San Bernardino's outcomes, webinar schedule and new evaluation tools.",
        "introduction": "This summer issue is about evidence: how counties measure what Linkages "
                        "does for families, and the tools you can borrow to do the same.",
        "blocks": [
            ("story", "County spotlight: San Bernardino County",
             "San Bernardino's Linkages team matched CalWORKs and CWS records to find mutual "
             "families at intake. Within a year, more parents were participating in "
             "Welfare-to-Work activities and fewer faced sanctions while working their case plan."),
            ("events", "Upcoming webinars and calls", [
                ("Monthly webinar: identifying mutual cases at intake", "/events", "Webinar · Online"),
                ("Data & Evaluation cluster call", "/events", "Cluster call · Phone"),
                ("Clinical academy: engaging fathers", "/events", "Training · Fresno"),
            ]),
            ("highlights", "From the peer clusters", [
                ("Announcing the 2026 convening dates", "/clusters"),
                ("Updated CDSS guidance on shared case plans", "/clusters"),
            ]),
            ("resources", "New in the toolkit", [
                ("Linkages evaluation framework", "/library", "Report / evaluation · CFPIC"),
                ("Mutual case identification report (sample queries)", "/library", "Assessment or screening tool · San Bernardino County"),
            ]),
        ],
    },
]


def seed_newsletter():
    """Subscribers with every status, two sent issues with deliveries, a draft and a scheduled issue."""
    rng = random.Random(6)
    organizer = db.session.scalar(User.by_email("organizer@linkages.example.org"))
    counties = dict(db.session.execute(select(County.name, County.id)).all())
    now = utcnow()
    subscribers = []
    for email in MEMBER_SUBSCRIBERS:
        user = db.session.scalar(User.by_email(email))
        if user is None:
            continue
        subscriber = Subscriber(email=user.email, name=user.name, county_id=user.county_id,
                                user_id=user.id)
        subscriber.confirm(source="member", when=now - timedelta(days=rng.randint(30, 400)))
        subscribers.append(subscriber)
    used = {s.email for s in subscribers}
    while len(subscribers) < 150:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        county = rng.choice(COUNTIES)
        domain = f"{(county or 'partner').lower().replace(' ', '')}.example.gov"
        email = f"{first}.{last}@{domain}".lower()
        if email in used:
            continue
        used.add(email)
        subscriber = Subscriber(email=email, name=f"{first} {last}",
                                county_id=counties.get(county) if county else None,
                                created_at=now - timedelta(days=rng.randint(1, 500)))
        roll = rng.random()
        subscriber.confirm(source=rng.choice(["form", "form", "import"]),
                           when=subscriber.created_at + timedelta(hours=2))
        if roll < 0.08:
            subscriber.status, subscriber.consent_at = "pending", None
            subscriber.source = "form"
        elif roll < 0.14:
            subscriber.pause()
        elif roll < 0.22:
            subscriber.unsubscribe()
            subscriber.unsubscribed_at = now - timedelta(days=rng.randint(1, 90))
        subscribers.append(subscriber)
    db.session.add_all(subscribers)
    db.session.flush()

    for spec in SENT_ISSUES:
        sent_at = (now - timedelta(days=spec["days_ago"])).replace(hour=17, minute=0, second=0,
                                                                    microsecond=0)  # 9-10 am Pacific
        issue = _issue(spec, organizer, status="sent")
        issue.send_started_at = issue.heartbeat_at = sent_at
        issue.sent_at = sent_at + timedelta(minutes=9)
        db.session.flush()
        for subscriber in subscribers:
            if subscriber.consent_at is None or subscriber.consent_at > sent_at:
                continue
            failed = rng.random() < 0.02
            db.session.add(Delivery(
                issue_id=issue.id, subscriber_id=subscriber.id, attempts=1,
                status="failed" if failed else "sent",
                sent_at=None if failed else sent_at + timedelta(seconds=rng.randint(1, 500)),
                error="550 5.1.1 Mailbox unavailable" if failed else ""))

    draft = _issue({
        "subject": "Linkages Fall 2026: new counties, new tools",
        "preheader": "Tehama and Mendocino join, plus the convening call for proposals.",
        "introduction": "Two more counties joined Linkages this quarter. Here is what is coming "
                        "up, and what is new in the toolkit.",
        "blocks": [
            ("story", "Welcome, Tehama and Mendocino",
             "Both counties start with a **joint leadership team** and a shared release of "
             "information, the two steps every Linkages county says come first."),
            ("events", "Coming up", [
                ("Monthly webinar: coordinated case planning in small counties", "/events", "Webinar · Online"),
                ("Linkages Statewide Convening 2027", "/events", "Convening · Sacramento"),
            ]),
            ("resources", "New in the toolkit", [
                ("Joint leadership team charter", "/library", "MOU / agreement · Tehama County"),
            ]),
            ("highlights", "From the peer clusters", [
                ("Call for workshop proposals: 2027 convening", "/clusters"),
            ]),
            ("cta", "Propose a workshop",
             "The call for workshop proposals for the 2027 convening is open until January 15.",
             "Send a proposal", "https://linkages.example.org/about"),
        ],
    }, organizer, status="draft")
    scheduled = _issue({
        "subject": "Save the date: Linkages Statewide Convening 2027",
        "preheader": "Two days in Sacramento this spring; registration opens soon.",
        "introduction": "Mark your calendars: the annual Linkages convening returns to "
                        "Sacramento with plenaries, parallel workshops and clinical academies.",
        "blocks": [("cta", "Tell your team",
                    "Registration opens in January. County teams of CalWORKs and CWS staff are "
                    "especially welcome.", "Read about the convening",
                    "https://linkages.example.org/about")],
    }, organizer, status="draft")
    scheduled.schedule(now + timedelta(days=9))
    db.session.flush()
    return draft


def _issue(spec, organizer, status):
    issue = Issue(subject=spec["subject"], preheader=spec["preheader"],
                  introduction=spec["introduction"], status=status,
                  created_by_id=organizer.id if organizer else None)
    for position, (kind, heading, *rest) in enumerate(spec["blocks"]):
        block = Block(kind=kind, heading=heading, position=position, settings={}, cards=[])
        if kind == "story":
            block.body = rest[0]
        elif kind == "cta":
            block.body = rest[0]
            block.settings = {"button_text": rest[1], "button_url": rest[2]}
        else:
            if kind == "events":
                today = to_pacific(utcnow()).date()
                block.settings = {"start": today.isoformat(),
                                  "end": (today + timedelta(days=90)).isoformat()}
            live = _live_cards(block, issue) or []
            # Sent issues show as many real items as they list: cards are checked against the
            # site's content whenever an issue is shown, and the made-up ones would be dropped.
            block.cards = live if status == "draft" else live[:len(rest[0])]
            if not block.cards:  # the feature is not installed, or has nothing to offer yet
                block.cards = [_card(kind, *item) for item in rest[0]]
        block.body_html = markdown_to_html(block.body or "")
        issue.blocks.append(block)
    db.session.add(issue)
    return issue


def _live_cards(block, issue):
    """Cards from the features' own demo data, through the same providers the composer uses."""
    if block.kind == "highlights":
        return None  # which threads to highlight is the organizer's choice
    try:
        return collect_cards(block, issue)
    except BlockError:
        return None


def _card(kind, title, path, meta=""):
    return {"kind": kind, "title": title, "url": path, "summary": "", "meta": meta,
            "when": ""}
