"""Demo calendar, always lived-in relative to today: the annual convening, monthly webinars,
cluster calls, a past webinar with materials and feedback, and a full training with a waitlist."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..clusters.models import Cluster
from ..core.demo import demo_user
from ..extensions import db
from ..timeutil import from_pacific, to_pacific, utcnow
from .models import (PUBLISHED, Event, EventException, EventFeedback, EventMaterial,
                     EventRegistration, EventSession, EventSessionChoice)

ORGANIZER = "organizer@linkages.example.org"
ADMIN = "admin@linkages.example.org"
MEMBERS = ["maria.lopez@stanislaus.example.gov", "james.chen@lacounty.example.gov",
           "tanya.brooks@sbcounty.example.gov", "luis.ramirez@fresno.example.gov",
           "aisha.patel@alameda.example.gov", "kevin.nguyen@santaclara.example.gov",
           "sarah.mitchell@sacramento.example.gov", "daniel.ortiz@riverside.example.gov",
           "grace.kim@sandiego.example.gov", "robert.haynes@kern.example.gov",
           "linda.foster@cdss.example.gov", "michael.santos@sanjoaquin.example.gov",
           "emily.carter@sonoma.example.gov", "hector.villanueva@tulare.example.gov",
           "nancy.wu@sanfrancisco.example.gov", "patricia.reyes@merced.example.gov"]


def _at(day, hour, minute=0):
    """A Pacific wall-clock time on `day`, as stored UTC."""
    return from_pacific(datetime.combine(day, time(hour, minute)))


def _weekday_on_or_after(day, weekday):
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _nth_weekday(year, month, weekday, nth):
    first = _weekday_on_or_after(date(year, month, 1), weekday)
    return first + timedelta(weeks=nth - 1)


def _event(organizer, **fields):
    event = Event(**{"status": PUBLISHED, **fields}, created_by_id=organizer.id, sequence=1)
    event.organizers = [organizer]
    db.session.add(event)
    return event


def _register(event, people, status="registered", checked_in=False, start=1):
    registrations = []
    for arrival, person in enumerate(people, start=start):
        registration = EventRegistration(
            event=event, user=person, status=status, arrival=arrival, county_id=person.county_id,
            program=person.program, show_name=arrival % 3 != 0,
            created_at=utcnow() - timedelta(days=20 - min(arrival, 19)),
            checked_in_at=event.start_at + timedelta(minutes=arrival) if checked_in else None)
        db.session.add(registration)
        registrations.append(registration)
    return registrations


def seed_events():
    organizer, admin = demo_user(ORGANIZER), demo_user(ADMIN)
    people = [demo_user(email) for email in MEMBERS]
    today = to_pacific(utcnow()).date()
    clusters = {c.slug: c for c in db.session.scalars(select(Cluster))}

    _convening(organizer, admin, people, today)
    _webinars(organizer, people, today)
    _cluster_calls(organizer, clusters, today)
    _past_webinar(organizer, people, today)
    _full_training(organizer, people, today)
    _this_month(organizer, people, today)
    _event(organizer, kind="webinar", title="CalWORKs Family Stabilization and CWS referrals (planning)",
           summary="Draft agenda for the spring webinar; speakers to be confirmed.",
           start_at=_at(today + timedelta(days=75), 10), end_at=_at(today + timedelta(days=75), 11),
           join_url="https://meet.example.org/j/family-stabilization", visibility="members",
           status="draft")
    db.session.flush()


def _convening(organizer, admin, people, today):
    day1 = _weekday_on_or_after(today + timedelta(days=35), 1)  # a Tuesday five weeks out
    if (day1.month, day1.day) >= (12, 15) or (day1.month, day1.day) <= (1, 8):
        year = day1.year + (day1.month == 12)
        day1 = _nth_weekday(year, 1, 1, 2)  # not over the holidays: the second Tuesday of January
    day2 = day1 + timedelta(days=1)
    event = _event(
        organizer, kind="convening", title=f"Linkages Convening {day1.year}",
        summary=("Two days with CWS and CalWORKs teams from across California: what coordinated "
                 "case planning looks like in practice, how counties share data safely, and a "
                 "clinical academy on trauma-informed engagement.\n\n"
                 "- Breakfast and lunch are provided both days.\n"
                 "- Peer clusters meet in person on the afternoon of day one.\n"
                 "- Travel support is available for small counties: ask your Linkages coordinator."),
        start_at=_at(day1, 8, 30), end_at=_at(day2, 15, 30),
        venue="Sheraton Grand Sacramento, 1230 J Street, Sacramento, CA 95814",
        visibility="public", capacity=180, registration_closes_at=_at(day1 - timedelta(days=7), 17))
    event.organizers = [organizer, admin]
    speaker = {p.email.split("@")[0]: p for p in people}
    agenda = [
        (day1, (8, 30), (9, 0), "Registration and breakfast", "Plenary", "Magnolia Foyer", "", None, False, None),
        (day1, (9, 0), (10, 15), "Opening plenary: Two programs, one family", "Plenary", "Sierra Ballroom",
         "Dana Whitfield, CFPIC; Linda Foster, CDSS", None, False, None),
        (day1, (10, 30), (12, 0), "Coordinated case planning in practice", "Workshops", "Capitol A",
         "", speaker["tanya.brooks"], True, 40),
        (day1, (10, 30), (12, 0), "Sharing data between CWS and CalWORKs, safely", "Workshops", "Capitol B",
         "", speaker["grace.kim"], True, 40),
        (day1, (10, 30), (12, 0), "Trauma-informed engagement (Clinical academy, part 1)", "Clinical academy",
         "Tower Room", "Dr. Ana Ruiz, UC Davis Extension", None, True, 25),
        (day1, (12, 0), (13, 0), "Lunch and county tables", "Plenary", "Sierra Ballroom", "", None, False, None),
        (day1, (13, 0), (14, 30), "Family engagement with co-located staff", "Workshops", "Capitol A",
         "", speaker["maria.lopez"], True, 40),
        (day1, (13, 0), (14, 30), "Housing supports for families in both systems", "Workshops", "Capitol B",
         "", speaker["nancy.wu"], True, 40),
        (day1, (13, 0), (14, 30), "Motivational interviewing (Clinical academy, part 2)", "Clinical academy",
         "Tower Room", "Dr. Ana Ruiz, UC Davis Extension", None, True, 25),
        (day1, (14, 45), (16, 30), "Peer cluster meetings", "Clusters", "Breakout rooms 1–7",
         "Cluster facilitators", None, False, None),
        (day2, (9, 0), (10, 0), "Plenary: What the outcome data tell us", "Plenary", "Sierra Ballroom",
         "Robert Haynes, Kern County; Grace Kim, San Diego County", None, False, None),
        (day2, (10, 15), (11, 45), "Fiscal sustainability: blending funding streams", "Workshops", "Capitol A",
         "", speaker["robert.haynes"], True, 40),
        (day2, (10, 15), (11, 45), "Training new workers on Linkages", "Workshops", "Capitol B",
         "", speaker["patricia.reyes"], True, 40),
        (day2, (10, 15), (11, 45), "Reflective supervision (Clinical academy, part 3)", "Clinical academy",
         "Tower Room", "Dr. Ana Ruiz, UC Davis Extension", None, True, 25),
        (day2, (13, 0), (15, 30), "County action planning and closing plenary", "Plenary", "Sierra Ballroom",
         "Renee Okafor, CFPIC", None, False, None),
    ]
    sessions = []
    for day, start, end, title, track, room, speakers, member, choice, capacity in agenda:
        session = EventSession(event=event, title=title, track=track, room=room, speakers=speakers,
                               speaker=member, needs_choice=choice, capacity=capacity,
                               start_at=_at(day, *start), end_at=_at(day, *end))
        db.session.add(session)
        sessions.append(session)
    db.session.flush()
    workshops = [s for s in sessions if s.needs_choice]
    for n, registration in enumerate(_register(event, people[:12])):
        picked = {}
        for session in workshops[n % 3::3]:
            picked.setdefault(session.start_at, session)
        for session in picked.values():
            registration.choices.append(EventSessionChoice(session=session))


def _webinars(organizer, people, today):
    """Monthly webinar on the third Tuesday, 10–11 Pacific: started four months ago."""
    month = (today.replace(day=1) - timedelta(days=100)).replace(day=1)
    first = _nth_weekday(month.year, month.month, 1, 3)
    series = _event(
        organizer, kind="webinar", title="Linkages Monthly Webinar",
        summary=("One hour, third Tuesday of the month: a county shows how it coordinates CWS and "
                 "CalWORKs services, then open questions. Captioning is provided."),
        start_at=_at(first, 10), end_at=_at(first, 11), rrule="FREQ=MONTHLY;BYDAY=3TU",
        join_url="https://meet.example.org/j/linkages-monthly", visibility="public")
    db.session.flush()
    upcoming = series.occurrences(utcnow(), utcnow() + timedelta(days=120))
    if len(upcoming) >= 3:
        skipped, moved = upcoming[1][2], upcoming[2][2]
        db.session.add(EventException(event=series, original_start=skipped,
                                      note="No webinar this month: see you at the convening."))
        new_start = moved + timedelta(days=2)  # the Thursday of the same week
        db.session.add(EventException(event=series, original_start=moved, new_start=new_start,
                                      new_end=new_start + timedelta(hours=1),
                                      note="Moved to Thursday this month."))
    _register(series, people[2:11])


def _cluster_calls(organizer, clusters, today):
    calls = [
        ("family-engagement", "Family Engagement cluster call", "FREQ=MONTHLY;BYDAY=1WE", 2, 14),
        ("data-evaluation", "Data & Evaluation cluster call", "FREQ=WEEKLY;INTERVAL=2", 3, 11),
        ("coordinated-case-planning", "Coordinated Case Planning cluster call", "FREQ=MONTHLY;BYDAY=2MO", 0, 13),
        ("training-workforce", "Training & Workforce cluster call", "FREQ=MONTHLY;BYDAY=4TH", 3, 15),
    ]
    start_month = (today.replace(day=1) - timedelta(days=40)).replace(day=1)
    for slug, title, rule, weekday, hour in calls:
        cluster = clusters.get(slug)
        if cluster is None:
            continue
        nth = {"1": 1, "2": 2, "4": 4}.get(rule.split("BYDAY=")[-1][:1], 1) if "BYDAY" in rule else 1
        first = _nth_weekday(start_month.year, start_month.month, weekday, nth)
        _event(organizer, kind="cluster-call", title=title,
               summary=f"The regular call of the {cluster.name} peer cluster: county updates, one "
                       "practice question, and what to bring to the next convening.",
               start_at=_at(first, hour), end_at=_at(first, hour) + timedelta(hours=1), rrule=rule,
               join_url=f"https://meet.example.org/j/{slug}", visibility="clusters",
               cluster_id=cluster.id, registration_enabled=False)


def _past_webinar(organizer, people, today):
    day = today - timedelta(days=23)
    event = _event(
        organizer, kind="webinar", title="Housing supports for families in both systems",
        summary=("San Francisco and Alameda counties on pairing CalWORKs Housing Support Program "
                 "funds with family reunification plans."),
        start_at=_at(day, 11), end_at=_at(day, 12, 30), visibility="public",
        join_url="https://meet.example.org/j/housing-supports",
        recording_url="https://media.example.org/linkages/housing-supports-recording",
        feedback_open=True)
    db.session.add_all([
        EventMaterial(event=event, title="Slides: Housing supports (PDF)",
                      url="https://media.example.org/linkages/housing-supports-slides.pdf"),
        EventMaterial(event=event, title="Sample referral form, San Francisco HSA",
                      url="https://media.example.org/linkages/sf-housing-referral.pdf"),
    ])
    attendees = _register(event, people[:10], checked_in=True)
    db.session.flush()
    comments = ["The referral form is exactly what we needed for our pilot.",
                "More time for questions, please.", "",
                "Would love a follow-up on landlord engagement.", "", "Clear and practical."]
    for n, registration in enumerate(attendees[:6]):
        db.session.add(EventFeedback(event_id=event.id, user_id=registration.user_id,
                                     rating=(5, 4, 5, 4, 3, 5)[n], useful=("yes", "yes", "maybe", "yes", "no", "yes")[n],
                                     comment=comments[n]))


def _full_training(organizer, people, today):
    day = _weekday_on_or_after(today + timedelta(days=12), 3)
    event = _event(
        organizer, kind="training", title="Clinical Academy: Motivational Interviewing for Linkages teams",
        summary=("A hands-on half day for social workers and employment counselors who share "
                 "families. Small group, so seats are limited: join the waitlist if it is full."),
        start_at=_at(day, 9), end_at=_at(day, 12, 30),
        venue="CFPIC Training Room, 1000 G Street, Suite 500, Sacramento", visibility="members",
        capacity=8)
    _register(event, people[:8])
    _register(event, people[8:11], status="waitlisted", start=9)


def _this_month(organizer, people, today):
    """A few one-off events around today so the month view is never empty."""
    soon = _weekday_on_or_after(today + timedelta(days=4), 3)
    orientation = _event(
        organizer, kind="webinar", title="Orientation to Linkages for new county staff",
        summary="What Linkages is, who to call in your county, and how to use this site. Recorded.",
        start_at=_at(soon, 13, 30), end_at=_at(soon, 14, 30), visibility="members", capacity=100,
        join_url="https://meet.example.org/j/orientation")
    _register(orientation, people[11:16])
    earlier = _weekday_on_or_after(today - timedelta(days=12), 4)
    _event(organizer, kind="convening", title="Central Valley regional meeting",
           summary="Fresno, Tulare, Merced, Stanislaus and San Joaquin teams compare intake protocols.",
           start_at=_at(earlier, 10), end_at=_at(earlier, 15),
           venue="Fresno County Department of Social Services, 2135 Fresno Street, Fresno",
           visibility="members")
