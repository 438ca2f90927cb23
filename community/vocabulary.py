"""The Linkages vocabulary (SPEC §2): counties, programs, toolkit areas, strategies, types."""

#: (name, joined Linkages in year or None). The 58 California counties.
COUNTIES = [
    ("Alameda", 2007), ("Alpine", None), ("Amador", None), ("Butte", 2008),
    ("Calaveras", None), ("Colusa", None), ("Contra Costa", 2006), ("Del Norte", None),
    ("El Dorado", 2009), ("Fresno", 2003), ("Glenn", None), ("Humboldt", 2010),
    ("Imperial", None), ("Inyo", None), ("Kern", 2007), ("Kings", 2012),
    ("Lake", None), ("Lassen", None), ("Los Angeles", 2002), ("Madera", 2011),
    ("Marin", 2009), ("Mariposa", None), ("Mendocino", 2013), ("Merced", 2008),
    ("Modoc", None), ("Mono", None), ("Monterey", 2006), ("Napa", 2012),
    ("Nevada", None), ("Orange", 2004), ("Placer", 2007), ("Plumas", None),
    ("Riverside", 2005), ("Sacramento", 2003), ("San Benito", None), ("San Bernardino", 2002),
    ("San Diego", 2004), ("San Francisco", 2006), ("San Joaquin", 2008), ("San Luis Obispo", 2010),
    ("San Mateo", 2005), ("Santa Barbara", 2009), ("Santa Clara", 2003), ("Santa Cruz", 2007),
    ("Shasta", 2011), ("Sierra", None), ("Siskiyou", None), ("Solano", 2010),
    ("Sonoma", 2006), ("Stanislaus", 2001), ("Sutter", None), ("Tehama", 2014),
    ("Trinity", None), ("Tulare", 2008), ("Tuolumne", None), ("Ventura", 2005),
    ("Yolo", 2009), ("Yuba", None),
]

#: Programs a person works in: (key, label).
PROGRAMS = [
    ("cws", "Child Welfare Services (CWS)"),
    ("calworks", "CalWORKs / Welfare-to-Work"),
    ("linkages", "Both (Linkages team)"),
    ("state", "State (CDSS)"),
    ("cfpic", "CFPIC"),
    ("partner", "Other partner"),
]
PROGRAM_LABELS = dict(PROGRAMS)

#: Site-wide roles, most powerful first.
ROLES = [("admin", "Administrator"), ("organizer", "Organizer (CFPIC staff)"), ("member", "Member")]
ROLE_LABELS = dict(ROLES)

TOOLKIT_AREAS = [
    ("definitional", "Definitional"),
    ("assessment-planning", "Assessment & Planning"),
    ("training", "Training"),
    ("evaluation", "Evaluation"),
    ("communication", "Communication"),
    ("fiscal", "Fiscal"),
    ("sustainability", "Sustainability"),
]

STRATEGIES = [
    ("identifying-mutual-cases", "Identifying mutual cases"),
    ("coordinated-case-planning", "Coordinated case planning"),
    ("tdm-fgc", "CalWORKs staff at Team Decision Meetings and Family Group Conferencing"),
    ("co-location", "Co-location of CalWORKs and CWS staff"),
    ("linkages-teams", "Linkages teams for mutual cases"),
    ("joint-case-reviews", "Joint case reviews"),
    ("joint-fiscal-plans", "Joint fiscal plans"),
    ("cross-training", "Joint and cross training"),
]

SERVICE_APPROACHES = [
    ("prevention", "Prevention"),
    ("emergency-response", "Intervention: Emergency Response"),
    ("family-maintenance", "Intervention: Family Maintenance"),
    ("family-reunification", "Intervention: Family Reunification"),
    ("special-populations", "Intervention: Special Populations"),
    ("accessibility", "Accessibility (Benefit Access)"),
]

DOCUMENT_TYPES = [
    ("policy", "Policy / guideline"),
    ("protocol", "Practice protocol"),
    ("mou", "MOU / agreement"),
    ("tool", "Assessment or screening tool"),
    ("form", "Form"),
    ("curriculum", "Training curriculum"),
    ("handbook", "Handbook"),
    ("presentation", "Presentation"),
    ("report", "Report / evaluation"),
    ("fiscal-plan", "Fiscal plan"),
    ("newsletter", "Newsletter"),
    ("video", "Video (link)"),
]

PEER_CLUSTERS = [
    ("family-engagement", "Family Engagement",
     "Engaging mutual families as partners: Team Decision Meetings, Family Group Conferencing "
     "and case plans that families can actually follow."),
    ("data-evaluation", "Data & Evaluation",
     "Identifying mutual cases across CWS/CMS and CalWORKs data, and measuring what Linkages changes."),
    ("state-laws-policies", "State Laws & Policies",
     "All County Letters, statute and regulation changes, and what they mean for coordinated services."),
    ("coordinated-case-planning", "Coordinated Case Planning",
     "Aligning child welfare case plans with Welfare-to-Work plans so parents are not pulled two ways."),
    ("fiscal-sustainability", "Fiscal & Sustainability",
     "Joint fiscal plans, braided funding and keeping Linkages going through budget cycles."),
    ("training-workforce", "Training & Workforce",
     "Cross-training curricula, onboarding and co-location practice for CWS and CalWORKs staff."),
    ("special-populations", "Special Populations",
     "Homeless families, sanctioned families, teen parents and other families who need more."),
]

#: Acronyms and program names people search for; "did you mean" never corrects them.
ACRONYMS = [
    "ACL", "ACIN", "AB", "CalFresh", "CalWORKs", "CDSS", "CFPIC", "CFT", "CMS", "CSEC", "CWS", "DV",
    "ER", "FFPSA", "FGC", "FM", "FR", "ILP", "MOU", "PP", "ROI", "SB", "SSN", "TANF", "TDM", "WIC",
    "WTW",
]

EVENT_KINDS = [
    ("convening", "Convening"),
    ("webinar", "Webinar"),
    ("cluster-call", "Cluster call"),
    ("training", "Training / clinical academy"),
]


def label(pairs, key, default=""):
    """Return the label for `key` in a list of (key, label) pairs."""
    return dict(pairs).get(key, default)

#: Where a county is with Linkages, the fixed scale of the implementation-status survey.
IMPLEMENTATION_STAGES = [
    ("exploring", "Exploring"),
    ("planning", "Planning and installation"),
    ("initial", "Initial implementation"),
    ("full", "Full implementation"),
    ("sustaining", "Sustaining and expanding"),
]
