"""Demo discussions: the seven peer clusters look lived-in, plus a public announcements cluster."""
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..clusters.models import Cluster
from ..extensions import db
from ..timeutil import utcnow
from . import notify, services
from .models import Notification, Post, Thread

#: First names of the demo people (community/core/demo.py) to their e-mail addresses.
PEOPLE = {
    "dana": "admin@linkages.example.org", "renee": "organizer@linkages.example.org",
    "maria": "maria.lopez@stanislaus.example.gov", "james": "james.chen@lacounty.example.gov",
    "tanya": "tanya.brooks@sbcounty.example.gov", "luis": "luis.ramirez@fresno.example.gov",
    "aisha": "aisha.patel@alameda.example.gov", "kevin": "kevin.nguyen@santaclara.example.gov",
    "sarah": "sarah.mitchell@sacramento.example.gov", "daniel": "daniel.ortiz@riverside.example.gov",
    "grace": "grace.kim@sandiego.example.gov", "robert": "robert.haynes@kern.example.gov",
    "linda": "linda.foster@cdss.example.gov", "michael": "michael.santos@sanjoaquin.example.gov",
    "emily": "emily.carter@sonoma.example.gov", "hector": "hector.villanueva@tulare.example.gov",
    "nancy": "nancy.wu@sanfrancisco.example.gov", "patricia": "patricia.reyes@merced.example.gov",
}

#: (cluster, author, days ago, title, body, is question, [(replier, body)], answer reply index,
#:  [people who found the answer or first reply helpful])
THREADS = [
    ("family-engagement", "james", 12, "Inviting the Welfare-to-Work case manager to Team Decision Meetings",
     "In LA we keep hearing that TDMs happen without anyone from CalWORKs in the room, even when the "
     "family is clearly a mutual family. How do your counties get the WTW case manager invited "
     "**before** the meeting is scheduled, not after?\n\nWe are drafting a protocol and I would love "
     "to borrow language.", True,
     [("maria", "In Stanislaus the TDM facilitator checks the mutual-case flag when the referral is "
                "assigned. If it is set, the invitation goes to the Linkages liaison, who forwards it "
                "to the WTW worker the same day. The key was putting the liaison's mailbox on the TDM "
                "scheduling list, so nobody has to remember."),
      ("tanya", "Same idea in San Bernardino, but we went further: our TDM scheduler can see the WTW "
                "assignment in CalSAWS and invites the worker directly. Attendance went from about a "
                "third of mutual-family TDMs to most of them within a year."),
      ("emily", "Sonoma is smaller, so we simply added \"CalWORKs case manager\" as a standing "
                "invitee on the TDM request form. @james.chen happy to send you the form."),
      ("james", "This is exactly what I needed, thank you. @maria.lopez could you share the "
                "liaison mailbox step as written in your protocol?")], 0, ["james", "aisha", "sarah"]),
    ("family-engagement", "aisha", 5, "What do parents tell you about having two case plans?",
     "We are running parent focus groups in Alameda this winter. One theme already: parents feel "
     "they are answering to two agencies with two calendars. What have you heard, and what "
     "changed it?", False,
     [("hector", "Tulare parents told us the same. What helped most was one shared calendar page in "
                 "the family's language, printed at the joint case review, with both workers' "
                 "appointments on it."),
      ("sarah", "In Sacramento FR, parents said the hardest part is the first month. We now hold the "
                "joint planning meeting within 30 days of the detention hearing.")], None, ["aisha"]),
    ("family-engagement", "maria", 2, "Family Group Conferencing: who facilitates when both programs are at the table?",
     "We are revisiting our FGC model. When CalWORKs and CWS both attend, do you use a neutral "
     "facilitator, or does the CWS worker lead? Curious how families experience each.", False,
     [("james", "LA uses a neutral facilitator from our FGC unit. Families tell us it feels less "
                "like a case conference and more like their meeting.")], None, []),
    ("data-evaluation", "kevin", 20, "Matching mutual cases between CWS/CMS and CalSAWS",
     "Santa Clara is redoing our monthly match of open CWS cases against CalWORKs. We match on name "
     "and date of birth today and get a lot of noise. Has anyone matched on CIN or on a hashed "
     "identifier instead?", True,
     [("grace", "San Diego matches on CIN where both systems have it, then falls back to a hashed "
                "name + birth date key inside the county's analytics environment, so analysts never "
                "see raw identifiers. False matches dropped by more than half."),
      ("robert", "Kern does something similar. Watch out for children who have no CIN yet; we keep "
                 "them in a separate review list."),
      ("kevin", "Thanks both. We will try CIN first and the hashed fallback.")], 0, ["kevin", "maria", "linda"]),
    ("data-evaluation", "grace", 7, "Outcome measures for the Linkages evaluation: what are you reporting?",
     "For the evaluation report we track re-entry to foster care within 12 months, time to "
     "reunification and WTW participation rates for mutual families. Is anyone reporting "
     "employment outcomes as well?", False,
     [("linda", "CDSS is interested in employment outcomes; the data agreement with EDD is the "
                "bottleneck. Let's put it on the agenda for the next cluster call."),
      ("maria", "Stanislaus reports WTW participation monthly to our Linkages steering committee. "
                "Happy to share the one-page dashboard.")], None, ["grace"]),
    ("state-laws-policies", "linda", 9, "New All County Letter on Welfare-to-Work exemptions for parents in reunification",
     "The new ACL clarifies when a parent in Family Reunification can be exempted from WTW "
     "activities, and how the case plan counts as WTW participation (see WIC 11322.16). I have "
     "posted a summary below; questions welcome before our call.\n\n- Case plan activities can "
     "count toward WTW hours\n- The exemption must be reviewed at each six-month review\n- Counties "
     "should document the joint decision in both case records", False,
     [("robert", "Helpful summary. Kern is updating our joint case plan template to reference the "
                 "ACL directly."),
      ("daniel", "Riverside question: does the exemption apply during the trial home visit, or does "
                 "it end at reunification?"),
      ("linda", "Good question, @daniel.ortiz. It continues while Family Maintenance services are "
                "in place; I will confirm with our legal office and post the answer here.")], None, ["daniel", "tanya"]),
    ("state-laws-policies", "tanya", 3, "Does WIC 16501 cover CalWORKs staff attending Team Decision Meetings?",
     "Our county counsel asked which statute lets our WTW staff take part in TDMs and see the case "
     "information shared there. We cite WIC 16501 and WIC 827. Is that what others rely on?", True,
     [("linda", "WIC 827 governs access to the juvenile case file; WIC 10850 covers CalWORKs "
                "records. Most counties pair those with a signed release of information from the "
                "parent. WIC 16501 defines child welfare services, but it is not what authorizes the "
                "sharing."),
      ("maria", "Stanislaus uses a single shared release covering both programs; counsel approved it "
                "in 2019.")], 0, ["tanya", "robert"]),
    ("coordinated-case-planning", "tanya", 15, "Aligning the WTW plan with the FR case plan at the first meeting",
     "How soon after detention do you bring the WTW plan and the FR case plan together? We aim for "
     "the first 30 days, but the WTW appraisal often is not done yet.", True,
     [("luis", "Fresno holds the joint meeting once the appraisal is done, usually within 45 days. "
               "Before that we use a short interim plan so the parent is not sanctioned."),
      ("michael", "San Joaquin does the WTW appraisal at the joint meeting itself. It takes longer "
                  "but parents only tell their story once."),
      ("emily", "+1 to interim plans. Sonoma's template is two pages and both workers sign it.")], 1, ["tanya", "james", "maria"]),
    ("coordinated-case-planning", "michael", 4, "Sanction prevention for parents in court-ordered treatment",
     "We are seeing good-cause determinations delayed because the WTW worker learns about "
     "residential treatment weeks late. What is your notification process?", False,
     [("james", "LA's CWS worker e-mails the Linkages liaison the day of placement in treatment; "
                "the liaison files good cause with WTW.")], None, []),
    ("coordinated-case-planning", "luis", 1, "Joint case reviews: monthly or quarterly?",
     "Fresno is debating moving joint case reviews from monthly to quarterly for stable cases. "
     "Anyone tried a tiered schedule?", False, [], None, []),
    ("fiscal-sustainability", "robert", 18, "Braiding funds for a co-located Linkages position",
     "Kern funds our co-located position 60/40 from CalWORKs single allocation and child welfare. "
     "How do others document the split for the claim?", True,
     [("kevin", "Santa Clara uses time studies quarterly; our fiscal unit set up a PCA for the "
                "Linkages liaison."),
      ("daniel", "Riverside's joint fiscal plan names the split and the claiming codes; we review "
                 "it each budget cycle.")], 1, ["robert"]),
    ("training-workforce", "patricia", 10, "Cross-training curriculum for new CWS and CalWORKs staff",
     "Merced is updating our two-day cross-training. Day one: each program explains itself. Day "
     "two: joint case scenarios. What modules do you find new staff need most?", False,
     [("sarah", "Confidentiality and what can be shared, with the actual release forms in hand."),
      ("hector", "A session where CalWORKs staff shadow a TDM. It changed how our team talks."),
      ("luis", "Sanctions and good cause, explained by an eligibility supervisor.")], None, ["patricia"]),
    ("training-workforce", "hector", 6, "Onboarding checklist for co-located staff",
     "Tulare is co-locating two WTW case managers in our CWS office next month. What should be on "
     "their first-week checklist?", True,
     [("patricia", "Badge and system access first, then a meeting with the unit supervisors, a TDM "
                   "observation and a read of the MOU. Merced's checklist is one page; I will post it "
                   "in the library.")], 0, ["hector", "sarah"]),
    ("special-populations", "nancy", 8, "Housing support for mutual families in Family Reunification",
     "San Francisco's CalWORKs Housing Support Program now prioritizes families where housing is "
     "the last barrier to reunification. How are other counties coordinating HSP referrals with "
     "CWS?", False,
     [("aisha", "Alameda has a weekly huddle between the HSP coordinator and FR supervisors."),
      ("michael", "San Joaquin uses the joint case review to decide HSP referrals for mutual "
                  "families.")], None, ["nancy"]),
    ("special-populations", "aisha", 3, "Supporting teen parents who are both foster youth and CalWORKs recipients",
     "We have several teen parents in extended foster care who also receive CalWORKs. Cal-Learn, "
     "the ILP and the case plan all have requirements. How do you keep it manageable for them?", True,
     [("james", "LA assigns one lead worker and the others consult. The teen gets one list of "
                "expectations, reviewed monthly."),
      ("nancy", "San Francisco holds a quarterly youth-led meeting with Cal-Learn, ILP and the "
                "social worker together.")], 1, ["aisha", "michael"]),
]

ANNOUNCEMENTS = [
    (21, "Welcome to Linkages Community",
     "This is the new home of the Linkages peer clusters. Join the clusters that match your work, "
     "ask and answer questions, and share your county's tools in the library.\n\nPlease remember: "
     "**never post information that identifies a family.** The site checks posts for case numbers "
     "and similar details before they are published."),
    (11, "Save the date: the 2026 Linkages Convening in Sacramento",
     "The annual Linkages Convening will be held in Sacramento in the spring, with plenary "
     "sessions, workshops on coordinated case planning and a clinical academy. Registration opens "
     "on the Events page next month."),
    (4, "Webinar recording: the new Welfare-to-Work exemptions ACL",
     "Thank you to everyone who joined the webinar. The recording and slides are in the library, "
     "and the State Laws & Policies cluster is collecting follow-up questions."),
]


def _person(key):
    return db.session.scalar(User.by_email(PEOPLE[key]))


def _cluster(slug):
    return db.session.scalar(select(Cluster).where(Cluster.slug == slug))


def _backdate(thread, days_ago):
    """Spread a thread's posts (and their notifications) over the days since it started."""
    start = utcnow() - timedelta(days=days_ago, hours=3)
    posts = db.session.scalars(Post.in_thread(thread.id)).all()
    step = timedelta(hours=max(days_ago * 24 // max(len(posts), 1), 1) * 0.7)
    for index, post in enumerate(posts):
        post.created_at = start + step * index
        db.session.execute(Notification.__table__.update().where(Notification.post_id == post.id)
                           .values(created_at=post.created_at))
    thread.created_at = posts[0].created_at
    thread.last_posted_at = posts[-1].created_at


def seed_forums():
    """Threads, replies, answers, reactions, watch levels, a join request and announcements."""
    renee = _person("renee")
    announcements = services.create_cluster(
        renee, "Linkages Announcements",
        "News from CFPIC for every Linkages county: convenings, webinars, new guidance. "
        "Anyone can read it; CFPIC staff post.", is_open=False, is_public=True)
    for days_ago, title, body in ANNOUNCEMENTS:
        thread = services.start_thread(announcements, renee, title, body)
        _backdate(thread, days_ago)

    for (slug, author, days_ago, title, body, is_question, replies, answer_index,
         helpful) in THREADS:
        thread = services.start_thread(_cluster(slug), _person(author), title, body,
                                       is_question=is_question)
        posts = [services.post_reply(thread, _person(who), text) for who, text in replies]
        if answer_index is not None:
            services.mark_answer(thread, posts[answer_index], _person(author))
        target = posts[answer_index or 0] if posts else None
        for who in helpful:
            if target is not None and target.author_id != _person(who).id:
                services.toggle_helpful(target, _person(who))
        _backdate(thread, days_ago)

    maria, james = _person("maria"), _person("james")
    # Maria read part of the data-matching thread: it shows as having new posts for her.
    matching = db.session.scalar(select(Thread).where(
        Thread.title.like("Matching mutual cases%")))
    services.mark_read(matching, maria, 2)
    notify.set_watch_level(maria, "tracking", cluster=_cluster("data-evaluation"))
    notify.set_watch_level(maria, "watching", cluster=_cluster("family-engagement"))
    notify.set_watch_level(james, "muted", thread=db.session.scalar(select(Thread).where(
        Thread.title.like("Sanction prevention%"))))
    notify.set_email_mode(james, "immediate")

    # A second facilitator, a join request waiting in a closed cluster, and an open flag.
    services.set_member_role(_cluster("coordinated-case-planning"), _person("emily"),
                             "facilitator", renee)
    services.request_to_join(_cluster("state-laws-policies"), _person("kevin"))
    parents = db.session.scalar(select(Thread).where(
        Thread.title.like("What do parents tell you%")))
    flagged = services.post_reply(parents, _person("emily"),
                                  "One mom told us the bus schedule alone made her miss two visits.")
    services.flag_post(flagged, _person("aisha"),
                       "Could be identifying in a small county; please take a look.")
    db.session.flush()
