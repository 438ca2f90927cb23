"""Demo people and peer clusters, so every page has something real on it."""
from sqlalchemy import select

from ..accounts import services as accounts
from ..accounts.models import User
from ..clusters.models import Cluster, ClusterMembership
from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import PEER_CLUSTERS

DEMO_PASSWORD = "linkages-demo"

#: (e-mail, name, role, county, program, title)
DEMO_PEOPLE = [
    ("admin@linkages.example.org", "Dana Whitfield", "admin", "Sacramento", "cfpic",
     "Linkages Project Director, CFPIC"),
    ("organizer@linkages.example.org", "Renee Okafor", "organizer", "Sacramento", "cfpic",
     "Program Coordinator, CFPIC"),
    ("maria.lopez@stanislaus.example.gov", "Maria Lopez", "member", "Stanislaus", "linkages",
     "Linkages Coordinator"),
    ("james.chen@lacounty.example.gov", "James Chen", "member", "Los Angeles", "cws",
     "Children's Social Worker Supervisor"),
    ("tanya.brooks@sbcounty.example.gov", "Tanya Brooks", "member", "San Bernardino", "calworks",
     "Welfare-to-Work Program Manager"),
    ("luis.ramirez@fresno.example.gov", "Luis Ramirez", "member", "Fresno", "calworks",
     "Employment Services Supervisor"),
    ("aisha.patel@alameda.example.gov", "Aisha Patel", "member", "Alameda", "cws",
     "Emergency Response Social Worker"),
    ("kevin.nguyen@santaclara.example.gov", "Kevin Nguyen", "member", "Santa Clara", "linkages",
     "Linkages Liaison"),
    ("sarah.mitchell@sacramento.example.gov", "Sarah Mitchell", "member", "Sacramento", "cws",
     "Family Reunification Supervisor"),
    ("daniel.ortiz@riverside.example.gov", "Daniel Ortiz", "member", "Riverside", "calworks",
     "CalWORKs Eligibility Supervisor"),
    ("grace.kim@sandiego.example.gov", "Grace Kim", "member", "San Diego", "linkages",
     "Program Analyst, Linkages"),
    ("robert.haynes@kern.example.gov", "Robert Haynes", "member", "Kern", "cws",
     "Deputy Director, Child Protective Services"),
    ("linda.foster@cdss.example.gov", "Linda Foster", "member", None, "state",
     "Policy Analyst, CDSS Office of Child Abuse Prevention"),
    ("michael.santos@sanjoaquin.example.gov", "Michael Santos", "member", "San Joaquin", "calworks",
     "Welfare-to-Work Case Manager"),
    ("emily.carter@sonoma.example.gov", "Emily Carter", "member", "Sonoma", "cws",
     "Family Maintenance Social Worker"),
    ("hector.villanueva@tulare.example.gov", "Hector Villanueva", "member", "Tulare", "linkages",
     "Linkages Team Lead"),
    ("nancy.wu@sanfrancisco.example.gov", "Nancy Wu", "member", "San Francisco", "calworks",
     "CalWORKs Housing Support Coordinator"),
    ("patricia.reyes@merced.example.gov", "Patricia Reyes", "member", "Merced", "cws",
     "Staff Development Trainer"),
]

#: Who belongs where: cluster slug -> (facilitator e-mails, member e-mails).
DEMO_MEMBERSHIPS = {
    "family-engagement": (["maria.lopez@stanislaus.example.gov"],
                          ["james.chen@lacounty.example.gov", "aisha.patel@alameda.example.gov",
                           "emily.carter@sonoma.example.gov", "hector.villanueva@tulare.example.gov",
                           "tanya.brooks@sbcounty.example.gov", "sarah.mitchell@sacramento.example.gov"]),
    "data-evaluation": (["grace.kim@sandiego.example.gov"],
                        ["kevin.nguyen@santaclara.example.gov", "maria.lopez@stanislaus.example.gov",
                         "robert.haynes@kern.example.gov", "linda.foster@cdss.example.gov"]),
    "state-laws-policies": (["linda.foster@cdss.example.gov"],
                            ["robert.haynes@kern.example.gov", "daniel.ortiz@riverside.example.gov",
                             "tanya.brooks@sbcounty.example.gov", "maria.lopez@stanislaus.example.gov"]),
    "coordinated-case-planning": (["tanya.brooks@sbcounty.example.gov"],
                                  ["luis.ramirez@fresno.example.gov", "michael.santos@sanjoaquin.example.gov",
                                   "emily.carter@sonoma.example.gov", "james.chen@lacounty.example.gov",
                                   "maria.lopez@stanislaus.example.gov"]),
    "fiscal-sustainability": (["robert.haynes@kern.example.gov"],
                              ["kevin.nguyen@santaclara.example.gov", "daniel.ortiz@riverside.example.gov"]),
    "training-workforce": (["patricia.reyes@merced.example.gov"],
                           ["sarah.mitchell@sacramento.example.gov", "luis.ramirez@fresno.example.gov",
                            "hector.villanueva@tulare.example.gov"]),
    "special-populations": (["nancy.wu@sanfrancisco.example.gov"],
                            ["aisha.patel@alameda.example.gov", "michael.santos@sanjoaquin.example.gov",
                             "james.chen@lacounty.example.gov"]),
}

#: Closed clusters (join by request); the rest are open.
CLOSED_CLUSTERS = {"state-laws-policies", "fiscal-sustainability"}


#: The demo member who still sees the getting-started checklist on the home page.
NEWCOMER = "james.chen@lacounty.example.gov"


def seed_people_and_clusters():
    """Demo accounts, two account requests waiting for approval, and the seven peer clusters."""
    people = {}
    for email, name, role, county, program, title in DEMO_PEOPLE:
        people[email] = accounts.create_user(email, name, DEMO_PASSWORD, role=role,
                                             county_name=county, program=program, title=title)
        if email != NEWCOMER:  # long-standing members have put the getting-started list away
            people[email].checklist_hidden_at = utcnow()
    accounts.request_account("Jordan Ellis", "jordan.ellis@placer.example.gov",
                             _county_id("Placer"), "calworks", "Employment Specialist",
                             "Our county is starting a Linkages pilot this spring.")
    accounts.request_account("Priya Desai", "priya.desai@yolo.example.gov", _county_id("Yolo"),
                             "cws", "Social Worker III", "")

    admin = people["admin@linkages.example.org"]
    for slug, name, description in PEER_CLUSTERS:
        cluster = Cluster(slug=slug, name=name, description=description,
                          is_open=slug not in CLOSED_CLUSTERS, created_by_id=admin.id)
        db.session.add(cluster)
        facilitators, members = DEMO_MEMBERSHIPS.get(slug, ([], []))
        for email in facilitators:
            cluster.memberships.append(ClusterMembership(user=people[email], role="facilitator",
                                                         status="active", decided_at=utcnow()))
        for email in members:
            cluster.memberships.append(ClusterMembership(user=people[email], role="member",
                                                         status="active", decided_at=utcnow()))
    db.session.flush()


def _county_id(name):
    from ..accounts.models import County

    return db.session.scalar(select(County.id).where(County.name == name))


def demo_user(email):
    return db.session.scalar(User.by_email(email))
