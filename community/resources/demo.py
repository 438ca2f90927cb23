"""Demo library: county artifacts with real PDF and Word files, versions and the curated Toolkit.

Files are generated here (fpdf2 for PDF, python-docx for Word) and go through the same upload
checks and text extraction as a person's upload, so search has real text to find.
"""
import io
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..accounts.models import County, User
from ..clusters.models import Cluster
from ..extensions import db
from ..timeutil import utcnow
from . import files, services

TOOLKIT_INTRODUCTIONS = {
    "definitional": "Start here: what Linkages is, who mutual families are, and the shared vision "
                    "that lets CWS and CalWORKs leaders commit to one approach.",
    "assessment-planning": "Tools to analyse your service population, identify mutual cases quickly "
                           "and plan a Linkages approach that fits your county.",
    "training": "Cross-training curricula and materials so CWS social workers and CalWORKs "
                "employment staff understand each other's timelines, rules and services.",
    "evaluation": "How counties measure what Linkages changes: outcome measures, data matching and "
                  "evaluation reports you can adapt.",
    "communication": "Presentations, videos and briefs that explain Linkages to directors, boards, "
                     "staff and partners.",
    "fiscal": "Joint fiscal plans and guidance on braiding CalWORKs and child welfare funding for "
              "mutual families.",
    "sustainability": "Keeping Linkages going through leadership changes and budget cycles: "
                      "agreements, champions and institutional practice.",
}

#: Document patterns: (doc_type, title pattern, areas, strategies, tags, summary, paragraphs).
PATTERNS = [
    ("mou", "Memorandum of Understanding between {county} CWS and CalWORKs",
     ["definitional", "sustainability"], ["linkages-teams", "coordinated-case-planning"],
     ["mou", "governance"],
     "The agreement both directors signed: purpose, shared responsibilities, information sharing "
     "and how mutual cases are staffed.",
     ["This Memorandum of Understanding is entered into by the {county} County Child Welfare Services "
      "division and the CalWORKs Welfare-to-Work division to coordinate services for mutual families.",
      "Purpose. The parties agree that families served by both programs are better served when "
      "case plans are coordinated, timelines are aligned and staff share information promptly.",
      "Responsibilities of Child Welfare Services. CWS social workers will notify the Linkages liaison "
      "within two working days when a referral involves a parent receiving CalWORKs cash aid.",
      "Responsibilities of CalWORKs. Employment Services case managers will invite the CWS social "
      "worker to the Welfare-to-Work appraisal and consider child welfare activities as countable "
      "participation where regulations allow.",
      "Information sharing. Staff will use the shared release of information form and share only "
      "what is necessary to coordinate services, consistent with confidentiality law.",
      "Review. The Linkages steering committee will review this agreement every year."]),
    ("form", "Shared Release of Information: CWS and CalWORKs ({county})",
     ["assessment-planning"], ["identifying-mutual-cases", "coordinated-case-planning"],
     ["release of information", "confidentiality", "roi"],
     "A single consent form that lets the family agree to information sharing between child welfare "
     "and CalWORKs, with plain-language explanations.",
     ["Authorization to share information between {county} County Child Welfare Services and CalWORKs.",
      "I understand that Child Welfare Services and CalWORKs want to work together so that my case "
      "plans fit together and I am not asked to be in two places at once.",
      "I agree that my CWS social worker and my CalWORKs employment case manager may share: my "
      "Welfare-to-Work plan, my child welfare case plan activities, appointment schedules and "
      "information about services such as mental health, substance abuse treatment or domestic "
      "violence services that count toward both plans.",
      "This authorization expires in one year. I may cancel it at any time in writing.",
      "Signature of parent, date, and signature of the staff member explaining this form."]),
    ("tool", "Linkages Screening Tool for Mutual Cases ({county})",
     ["assessment-planning", "evaluation"], ["identifying-mutual-cases"],
     ["screening", "mutual cases", "cws/cms"],
     "The questions intake staff ask to identify mutual families at the hotline, at CalWORKs "
     "application and at the detention hearing.",
     ["Linkages screening tool. Use at the point of entry to either program.",
      "Question 1. Is the parent currently receiving CalWORKs cash aid or Welfare-to-Work services?",
      "Question 2. Has the family applied for CalWORKs in the last twelve months or been sanctioned?",
      "Question 3. Is there an open or recent child welfare referral, Family Maintenance or Family "
      "Reunification case?",
      "If the answer to question 1 or 2 and question 3 is yes, the family is a mutual case: notify "
      "the Linkages liaison and schedule a coordinated case planning meeting within ten days.",
      "The monthly data match between CWS/CMS and CalWIN confirms the screening results."]),
    ("curriculum", "Cross-Training Curriculum: Working Together for Mutual Families ({county})",
     ["training"], ["cross-training", "co-location"],
     ["cross-training", "curriculum", "new worker"],
     "A one-day curriculum that teaches CWS and CalWORKs staff each other's programs, timelines "
     "and vocabulary, with case scenarios.",
     ["Module 1. Child Welfare Services in brief: Emergency Response, Family Maintenance, Family "
      "Reunification and the timelines that reunification imposes.",
      "Module 2. CalWORKs and Welfare-to-Work: eligibility, the 48-month time clock, exemptions, "
      "sanctions and supportive services such as child care and transportation.",
      "Module 3. Mutual families: why parents get it as hard as it comes when they juggle "
      "conflicting case requirements between two bureaucracies.",
      "Module 4. Coordinated case planning practice with a case scenario: a mother in Family "
      "Reunification who must complete parenting classes and also meet work participation hours.",
      "Trainer notes: pair a CWS trainer with a CalWORKs trainer for every session."]),
    ("fiscal-plan", "Joint Fiscal Plan for Linkages, Fiscal Year {year}-{next_year} ({county})",
     ["fiscal", "sustainability"], ["joint-fiscal-plans"],
     ["fiscal", "budget", "braided funding"],
     "How CalWORKs single allocation and child welfare funds are braided to pay for the Linkages "
     "liaison, co-located staff and family support services.",
     ["Joint fiscal plan prepared by the {county} County fiscal officers for both programs.",
      "Funding sources: CalWORKs Single Allocation, Family Stabilization, Child Welfare Services "
      "allocation and Promoting Safe and Stable Families.",
      "Shared costs: one Linkages liaison position split fifty-fifty, co-location space at the "
      "family resource center, and flexible funds for housing and transportation.",
      "Time studies: staff record Linkages activities to the correct program codes each month.",
      "The plan is reviewed at mid-year and adjusted with the county budget."]),
    ("report", "Linkages Evaluation Report {year} ({county})",
     ["evaluation"], ["identifying-mutual-cases", "joint-case-reviews"],
     ["evaluation", "outcomes", "data"],
     "Outcomes for mutual families: reunification timelines, Welfare-to-Work participation, "
     "sanction rates and re-referrals, compared with families served by one program.",
     ["Executive summary. Families receiving Linkages coordinated services reunified sooner and "
      "were sanctioned less often than comparison families.",
      "Method. We matched CWS/CMS and CalWORKs records monthly to identify mutual cases and "
      "followed each family for eighteen months.",
      "Findings. Work participation rose among parents in Family Reunification; re-referrals to the "
      "child abuse hotline fell; staff reported clearer case plans.",
      "Recommendations. Keep the monthly data match, expand joint case reviews and train new "
      "workers within their first ninety days."]),
    ("protocol", "Practice Protocol: CalWORKs Staff at Team Decision Meetings ({county})",
     ["assessment-planning", "training"], ["tdm-fgc", "coordinated-case-planning"],
     ["team decision meeting", "tdm", "family engagement"],
     "When and how the CalWORKs case manager joins Team Decision Meetings and Family Group "
     "Conferences, and what they bring.",
     ["Purpose. Bring the CalWORKs employment case manager into Team Decision Meetings for mutual "
      "families so that safety plans and Welfare-to-Work plans fit together.",
      "Before the meeting: the CWS facilitator invites the CalWORKs case manager with the parent's "
      "consent under the shared release of information.",
      "At the meeting: the CalWORKs case manager explains available supportive services, child care "
      "and how child welfare activities can count toward participation.",
      "After the meeting: both workers update their case plans within five working days."]),
    ("policy", "Co-location Guidelines for CalWORKs and CWS Staff ({county})",
     ["definitional", "sustainability"], ["co-location", "linkages-teams"],
     ["co-location", "guideline"],
     "How co-located staff share space, supervision and case conferences at the family resource "
     "center.",
     ["Co-located CalWORKs employment counselors work two days a week in the child welfare regional "
      "office, and a CWS social worker holds office hours at the CalWORKs district office.",
      "Supervision stays with each worker's own program; case conferences are joint.",
      "Co-located staff carry mutual cases only and meet weekly as a Linkages team.",
      "Managers from both programs review the arrangement every quarter."]),
    ("handbook", "Linkages Handbook for Mutual Families ({county})",
     ["communication"], ["coordinated-case-planning", "linkages-teams"],
     ["handbook", "families", "plain language"],
     "A plain-language handbook for parents: who their workers are, what each plan asks, and how "
     "Linkages helps them keep one schedule.",
     ["Welcome. You work with two programs: Child Welfare Services and CalWORKs. Linkages helps them "
      "work together with you.",
      "Your team: your social worker, your employment case manager and the Linkages liaison.",
      "One plan: your workers build your case plan and your Welfare-to-Work plan together so that "
      "classes, counseling and work activities fit in one week.",
      "Services you may receive: child care, transportation, housing support, counseling and job "
      "training."]),
    ("presentation", "Linkages Overview for the Board of Supervisors ({county})",
     ["communication"], ["linkages-teams", "joint-fiscal-plans"],
     ["presentation", "board", "overview"],
     "Slides presented to the Board of Supervisors: the problem, the partnership, results and the "
     "request to continue funding.",
     ["Linkages: effective, efficient, essential.",
      "Nearly half of the children served by child welfare have also received CalWORKs.",
      "Linkages leverages resources, reduces duplication and creates a team approach.",
      "Results this year: faster reunification, fewer sanctions and stronger partnerships.",
      "Request: continue the joint fiscal plan and the Linkages liaison position."]),
]

#: (pattern index, county, year, visibility, cluster slug or None, file kind, owner e-mail)
COUNTY_OWNERS = {
    "Stanislaus": "maria.lopez@stanislaus.example.gov", "Los Angeles": "james.chen@lacounty.example.gov",
    "San Bernardino": "tanya.brooks@sbcounty.example.gov", "Fresno": "luis.ramirez@fresno.example.gov",
    "Alameda": "aisha.patel@alameda.example.gov", "Santa Clara": "kevin.nguyen@santaclara.example.gov",
    "Sacramento": "sarah.mitchell@sacramento.example.gov", "Riverside": "daniel.ortiz@riverside.example.gov",
    "San Diego": "grace.kim@sandiego.example.gov", "Kern": "robert.haynes@kern.example.gov",
    "San Joaquin": "michael.santos@sanjoaquin.example.gov", "Sonoma": "emily.carter@sonoma.example.gov",
    "Tulare": "hector.villanueva@tulare.example.gov", "San Francisco": "nancy.wu@sanfrancisco.example.gov",
    "Merced": "patricia.reyes@merced.example.gov",
}
CLUSTER_FOR_TYPE = {"fiscal-plan": "fiscal-sustainability", "report": "data-evaluation",
                    "protocol": "family-engagement", "curriculum": "training-workforce"}

LINKS = [
    ("Linkages Family Stories (video)", "https://www.cfpic.org/linkages/videos/family-stories",
     ["communication"], "Families who were helped through Linkages describe what changed when their "
     "social worker and employment counselor worked together."),
    ("Collaboration Checklist: What Directors, Managers and Staff Can Do (video walkthrough)",
     "https://www.cfpic.org/linkages/videos/collaboration-checklist", ["definitional", "sustainability"],
     "A short video walking through the collaboration checklist for every level of staff."),
    ("Webinar recording: Identifying Mutual Cases with a Monthly Data Match",
     "https://www.cfpic.org/linkages/webinars/data-match", ["evaluation", "assessment-planning"],
     "Recording of the Data & Evaluation cluster webinar on matching CWS/CMS and CalWORKs records."),
]


def _latin1(text):
    return (text.replace("\u2019", "'").replace("\u2014", "-").replace("\u2013", "-")
            .encode("latin-1", "replace").decode("latin-1"))


def make_pdf(title, paragraphs):
    """A small real PDF with a title and paragraphs (text extractable by pypdf)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(title))
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    for number, paragraph in enumerate(paragraphs):
        if number and number % 4 == 0:
            pdf.add_page()
        pdf.multi_cell(0, 6, _latin1(paragraph))
        pdf.ln(2)
    return bytes(pdf.output())


def make_docx(title, paragraphs):
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def upload_bytes(data, filename):
    """Store generated bytes through the same checks as an upload."""
    return files.store_upload(FileStorage(io.BytesIO(data), filename=filename))


def _plan():
    """(pattern, county, year, visibility, cluster slug, extension) for each demo resource."""
    counties = list(COUNTY_OWNERS)
    plan = []
    for index, county in enumerate(counties):
        for offset in range(4):
            pattern_index = (index * 3 + offset * 7) % len(PATTERNS)
            doc_type = PATTERNS[pattern_index][0]
            roll = (index + offset * 5) % 6
            if roll in (0, 1, 2):
                visibility, cluster = "public", None
            elif roll in (3, 4):
                visibility, cluster = "members", None
            else:
                visibility, cluster = "clusters", CLUSTER_FOR_TYPE.get(doc_type, "coordinated-case-planning")
            extension = ".docx" if (index + offset) % 3 == 0 else ".pdf"
            plan.append((pattern_index, county, 2016 + (index + offset * 2) % 9, visibility, cluster, extension))
    return plan


def seed_library():
    """About sixty resources from fifteen counties, three links, versions and the Toolkit."""
    people = {u.email: u for u in db.session.scalars(select(User))}
    counties = {c.name: c for c in db.session.scalars(select(County))}
    clusters = {c.slug: c for c in db.session.scalars(select(Cluster))}
    organizer = people["organizer@linkages.example.org"]
    now = utcnow()
    made = []
    seen_titles = set()
    for number, (pattern_index, county, year, visibility, cluster, extension) in enumerate(_plan()):
        doc_type, title, areas, strategies, tags, summary, body = PATTERNS[pattern_index]
        values = {"county": county, "year": year, "next_year": str(year + 1)[-2:]}
        title = title.format(**values)
        if title in seen_titles:
            continue
        seen_titles.add(title)
        owner = people[COUNTY_OWNERS[county]]
        paragraphs = [p.format(**values) for p in body]
        data = make_pdf(title, paragraphs) if extension == ".pdf" else make_docx(title, paragraphs)
        stored = upload_bytes(data, f"{county.lower().replace(' ', '-')}-{doc_type}-{year}{extension}")
        details = services.ResourceDetails(
            title=title, doc_type=doc_type, summary=summary, county_id=counties[county].id,
            program="linkages" if doc_type != "fiscal-plan" else "calworks",
            toolkit_areas=areas, strategies=strategies, tags=tags, year=year, visibility=visibility,
            cluster_ids=[clusters[cluster].id] if cluster else [])
        resource = services.share_resource(owner if not cluster else organizer, details, stored)
        resource.owner_id = owner.id
        resource.created_at = resource.updated_at = now - timedelta(days=7 + number * 11)
        resource.download_count = (number * 37) % 140 + 3
        version = resource.current_version
        version.uploaded_at, version.download_count = resource.created_at, resource.download_count
        made.append(resource)

    for number, (title, url, areas, summary) in enumerate(LINKS):
        details = services.ResourceDetails(title=title, doc_type="video", summary=summary,
                                           program="cfpic", toolkit_areas=areas, visibility="public",
                                           link_url=url, year=now.year - 1, tags=["video"])
        resource = services.share_resource(organizer, details)
        resource.created_at = resource.updated_at = now - timedelta(days=12 + number * 45)
        resource.download_count = 40 - number * 9
        made.append(resource)

    # A few resources have later versions.
    for resource in [r for r in made if r.current_version and r.current_version.is_pdf][:4]:
        body = [f"Revised {resource.year + 1}: updated after the annual Linkages steering committee review.",
                resource.summary, "Changes: clearer timelines, updated contact list, new All County Letter references."]
        stored = upload_bytes(make_pdf(resource.title + " (revised)", body), "revised.pdf")
        services.add_version(resource, people[COUNTY_OWNERS.get(resource.county.name, "organizer@linkages.example.org")]
                             if resource.county else organizer, stored, "Revised after the annual review")

    # The curated Toolkit: introductions and up to four public resources per area.
    services.ensure_toolkit_areas()
    for key, introduction in TOOLKIT_INTRODUCTIONS.items():
        services.describe_area(key, organizer, introduction, organizer.id)
        chosen = [r for r in made if r.visibility == "public" and key in (r.toolkit_areas or [])][:4]
        for resource in chosen:
            services.add_to_toolkit(key, resource, organizer)
    db.session.flush()
