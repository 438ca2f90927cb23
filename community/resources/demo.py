"""Demo library: county artifacts as real files, versions and the curated Toolkit.

Every resource has its own words (taken from what the Linkages counties and CFPIC describe), so
search snippets, facets and the Toolkit look like a real library. Files are generated here (fpdf2
for PDF, python-docx, openpyxl, python-pptx) and go through the same upload checks and text
extraction as a person's upload, so search has real text to find.
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

#: Each area's "start here" introduction and who curates it (None: CFPIC staff).
TOOLKIT_AREAS_DEMO = {
    "definitional": (
        "Start here if your county is deciding whether to begin Linkages. Read the Planning Guide "
        "first: its four steps and three building blocks are the shared language of every county "
        "that has done this.\n\nThen look at how two counties wrote it down: an agreement between "
        "the departments, and the confidentiality questions your staff will ask on day one.",
        "organizer@linkages.example.org"),
    "assessment-planning": (
        "Start with the hotline questions: identifying mutual families where they first enter either "
        "system is the step every later one depends on.\n\nThe shared release of information and the "
        "protocols below show how counties turned identification into one coordinated plan for "
        "families in Family Reunification, families facing a sanction and homeless families.",
        "organizer@linkages.example.org"),
    "training": (
        "Start with the one-day cross-training: social workers and employment counselors learn each "
        "other's timelines in mixed pairs, which is where most \"aha\" moments happen.\n\nThe "
        "orientation module and the clinical academy slides are for the months after.",
        "admin@linkages.example.org"),
    "evaluation": (
        "Start with the statewide evaluation: what Harder+Company measured, and the trends it found "
        "for recurrence of maltreatment and resolved sanctions.\n\nThen the practical side: how "
        "counties run a monthly data match and review mutual cases together.",
        "organizer@linkages.example.org"),
    "communication": (
        "Start with the family stories video: it is what convinced most boards and directors.\n\n"
        "The brochure, the parents' guide and the board presentation can be adapted with your "
        "county's own numbers and quotes.",
        "admin@linkages.example.org"),
    "fiscal": (
        "Start with the primer on braiding CalWORKs and child welfare funds, then see a real joint "
        "fiscal plan and the time study codes that make it work.",
        "organizer@linkages.example.org"),
    "sustainability": (
        "Linkages is a systems change, not a project: it lasts when it survives a change of director. "
        "Start with the lessons from three counties, then the charter of a steering committee that "
        "kept meeting through four budget cycles.",
        None),
}

#: The Toolkit: each area's resources (by title), in the order CFPIC chose.
TOOLKIT_CHOICES = {
    "definitional": ["Linkages Planning Guide: Policy Foundation, Practice Protocols and Administration",
                     "Collaboration Checklist: What Directors, Managers and Staff Can Do",
                     "DCFS and DPSS Linkages Memorandum of Understanding",
                     "Co-location Agreement: CalWORKs Staff in the Child Welfare Regional Offices",
                     "Confidentiality and Information Sharing: Questions Staff Ask"],
    "assessment-planning": ["Mutual Case Screening Questions at the Child Abuse Hotline",
                            "CalWORKs Child Abuse and Neglect Prevention Services Screening Field Test",
                            "Shared Release of Information for CWS and CalWORKs (English and Spanish)",
                            "Protocol for Mutual Families in Family Reunification",
                            "Housing First for Homeless Mutual Families: Referral Protocol"],
    "training": ["Cross-Training Curriculum: Two Programs, One Family",
                 "Clinical Academy: Methamphetamine, Addiction and Mutual Families",
                 "Linkages Orientation for New Employment Services Staff",
                 "Team Decision Meetings: Inviting the CalWORKs Worker",
                 "Family Group Conferencing with CalWORKs: Facilitator Notes"],
    "evaluation": ["Statewide Evaluation of Linkages: Final Report",
                   "Webinar recording: Identifying Mutual Cases with a Monthly Data Match",
                   "Joint Case Review Guide", "Linkages Outcomes Dashboard"],
    "communication": ["Linkages Family Stories (video)", "Linkages: Effective, Efficient, Essential",
                      "Your Two Workers, One Plan: A Guide for Parents",
                      "Linkages Overview for the Board of Supervisors", "Linkages Quarterly, Spring Issue"],
    "fiscal": ["Braiding CalWORKs Single Allocation and Child Welfare Funds: A Primer",
               "Family Stabilization and Child Welfare: What the State Guidance Means for Counties",
               "Linkages Time Study Codes: Quick Reference", "Joint Fiscal Plan for Linkages"],
    "sustainability": ["Sustaining Linkages Through Leadership Change: Lessons from Three Counties",
                       "Linkages Steering Committee Charter", "Linkages Overview for the Board of Supervisors",
                       "Collaboration Checklist: What Directors, Managers and Staff Can Do"],
}


def _r(title, county, doc_type, year, program, areas, strategies, tags, fmt, summary, paragraphs,
       visibility="public", cluster=None):
    return {"title": title, "county": county, "doc_type": doc_type, "year": year, "program": program,
            "areas": areas, "strategies": strategies, "tags": tags, "format": fmt, "summary": summary,
            "paragraphs": paragraphs, "visibility": "clusters" if cluster else visibility, "cluster": cluster}


#: The demo library: what counties and CFPIC really share, each with its own words.
#: `format` is pdf, docx, xlsx, pptx, md or a link address.
RESOURCES = [
    _r("Linkages Planning Guide: Policy Foundation, Practice Protocols and Administration", None, "handbook",
       2008, "cfpic", ["definitional", "assessment-planning"], ["identifying-mutual-cases", "coordinated-case-planning"],
       ["planning guide", "building blocks", "work plan"], "pdf",
       "The guide counties use to decide whether and how to begin: the four steps, the three building "
       "blocks and a work plan template for each topic area.",
       ["Step one is understanding the Linkages philosophy: enhanced coordination lets child welfare act "
        "as an anti-poverty program and lets CalWORKs help prevent child abuse and neglect.",
        "Step two is securing leadership commitment from start to finish: time, energy, creative "
        "thinking, service dollars and sometimes political capital.",
        "The policy foundation: a mission, a vision and guiding principles; a target population; a model "
        "process for case coordination; the outcomes you expect.",
        "Practice protocols say how families in the target population are identified, how information is "
        "shared and how coordinated case plans are written.",
        "Administration means a planning committee, a Linkages coordinator, orientation for staff at every "
        "level, training, and funding streams aligned to maximize Title IV-E matching."]),
    _r("Protocol for Mutual Families in Family Reunification", "Stanislaus", "protocol", 2014, "linkages",
       ["assessment-planning"], ["coordinated-case-planning", "linkages-teams"],
       ["family reunification", "welfare-to-work"], "docx",
       "How the Stanislaus Linkages team keeps Welfare-to-Work services going for parents whose children "
       "are in out-of-home care, so the reunification plan and the work plan pull the same way.",
       ["When children are removed, cash aid for the parent stops, but the parent can keep Welfare-to-Work "
        "services and the specialized assessment and treatment that come with them.",
        "Within five working days of the detention hearing the social worker checks whether the parent is "
        "a current or recent CalWORKs recipient and, if so, refers the family to the Linkages team.",
        "The employment counselor and the social worker meet the parent together and write one calendar: "
        "counseling, substance abuse treatment, parenting classes and work activities.",
        "Progress is reviewed jointly before every review hearing, and either worker can call a meeting "
        "when the family's circumstances change."]),
    _r("DCFS and DPSS Linkages Memorandum of Understanding", "Los Angeles", "mou", 2011, "linkages",
       ["definitional", "sustainability"], ["linkages-teams", "identifying-mutual-cases"],
       ["mou", "governance", "data match"], "pdf",
       "The agreement between the Department of Children and Family Services and the Department of "
       "Public Social Services: shared families, a monthly data match, liaisons in every regional office.",
       ["Nearly half the children served by the Department of Children and Family Services have also "
        "received CalWORKs at some point; this agreement commits both departments to serve those families "
        "as one.",
        "DPSS stations GAIN Services Workers as Linkages liaisons in each DCFS regional office.",
        "Both departments run a monthly match of open child welfare cases against active CalWORKs cases "
        "and share the list with the regional liaisons.",
        "A joint steering committee of deputy directors meets quarterly and reviews this agreement every "
        "two years."], visibility="members"),
    _r("Team Decision Meetings: Inviting the CalWORKs Worker", "San Bernardino", "protocol", 2016, "cws",
       ["assessment-planning", "training"], ["tdm-fgc", "coordinated-case-planning"],
       ["team decision meeting", "tdm", "family engagement"], "docx",
       "A checklist for TDM facilitators: when the family's Employment Services worker is invited, what "
       "consent is needed and what that worker brings to the table.",
       ["Invite the CalWORKs worker to every placement-related Team Decision Meeting when the parent has "
        "an active Welfare-to-Work plan.",
        "Ask for the parent's signed release before sharing the meeting time; if the parent declines, note "
        "it and offer again at the next meeting.",
        "The CalWORKs worker brings the current Welfare-to-Work plan, any sanction status and the supportive "
        "services the parent can use at once: child care, transportation, ancillary payments.",
        "After the meeting both workers update their plans so that no activity is required twice."],
       cluster="family-engagement"),
    _r("Mutual Case Screening Questions at the Child Abuse Hotline", "Fresno", "tool", 2019, "cws",
       ["assessment-planning"], ["identifying-mutual-cases"], ["screening", "hotline", "mutual cases"], "pdf",
       "Three questions hotline screeners ask so that families who receive, or could receive, CalWORKs are "
       "flagged at the first call rather than months later.",
       ["Screeners ask whether anyone in the home receives cash aid, CalFresh or Medi-Cal, and whether a "
        "parent is in a work or training program.",
        "A yes to either question adds the Linkages flag to the referral and copies the Linkages liaison.",
        "For families not yet on aid, the Emergency Response worker offers an expedited CalWORKs "
        "application at the first home visit.",
        "The hotline supervisor reviews a sample of flagged referrals each month with the CalWORKs "
        "intake supervisor."]),
    _r("CalWORKs Child Abuse and Neglect Prevention Services Screening Field Test", None, "tool", 2012, "state",
       ["assessment-planning", "evaluation"], ["identifying-mutual-cases"], ["prevention", "field test", "appraisal"],
       "pdf",
       "The field-tested screening CalWORKs appraisal staff use to offer prevention services before a "
       "hotline call ever happens.",
       ["Appraisal staff ask six questions about stress, housing, child care and support at the CalWORKs "
        "appraisal interview.",
        "Families who answer yes to two or more are offered a voluntary referral to a family resource "
        "center, with child care and transportation paid.",
        "Eight counties field-tested the screening; most families offered services accepted them.",
        "The screening is voluntary and is never shared with child welfare without the parent's consent."]),
    _r("Shared Release of Information for CWS and CalWORKs (English and Spanish)", "Alameda", "form", 2017,
       "linkages", ["assessment-planning"], ["coordinated-case-planning"],
       ["release of information", "confidentiality", "roi", "spanish"], "docx",
       "One consent form both agencies accept, in plain language: what workers may share, for how long, "
       "and how a parent withdraws consent.",
       ["I agree that my social worker and my employment counselor may talk with each other about my case "
        "plan and my Welfare-to-Work plan, so that I am not asked to be in two places at once.",
        "They may share appointment schedules and whether I am taking part in counseling, treatment or "
        "classes. They will not share more than they need to coordinate my services.",
        "This consent lasts one year. I can withdraw it at any time by telling either worker in writing.",
        "Autorizo que mi trabajador social y mi consejero de empleo compartan informacion sobre mis planes."]),
    _r("Confidentiality and Information Sharing: Questions Staff Ask", "Santa Clara", "policy", 2015, "linkages",
       ["definitional"], ["identifying-mutual-cases"], ["confidentiality", "faq", "information sharing"], "md",
       "Answers to what staff ask most: what may be shared without consent, what needs a release, and why "
       "respect for confidentiality is a value both programs already share.",
       ["# Confidentiality and information sharing",
        "Can I tell the CalWORKs worker that a family has an open child welfare case? Only what the law "
        "allows or the parent has agreed to; the shared release makes that simple.",
        "Can the CalWORKs worker tell me about a sanction? Yes, with the signed release, and the sanction "
        "is often the first thing the team can help resolve.",
        "Both programs protect client information for the same reason: families trust us with it. Sharing "
        "only what coordination needs is how we keep that trust."], visibility="members"),
    _r("Cross-Training Curriculum: Two Programs, One Family", "Sacramento", "curriculum", 2018, "linkages",
       ["training"], ["cross-training"], ["cross-training", "curriculum", "case scenario"], "pptx",
       "A one-day joint training for new social workers and employment counselors: program basics, the "
       "timelines that collide, and a case scenario worked in mixed pairs.",
       ["Morning: child welfare in brief, from Emergency Response to Family Maintenance and Family "
        "Reunification, and the court timelines reunification imposes.",
        "CalWORKs in brief: eligibility, the time clock, exemptions, sanctions and supportive services.",
        "Afternoon: a mother in Family Reunification must finish parenting classes and meet participation "
        "hours. Pairs build one weekly schedule that works for her.",
        "Close: each pair names one thing they will do differently on Monday."]),
    _r("Linkages Orientation for New Employment Services Staff", "Riverside", "curriculum", 2022, "calworks",
       ["training"], ["cross-training", "co-location"], ["orientation", "new worker", "gain"], "pdf",
       "A ninety-minute module for the first month of every new Welfare-to-Work worker: what child "
       "welfare does, and when to call the Linkages liaison.",
       ["Why this matters: families in both programs juggle two sets of requirements, and a missed "
        "appointment can cost them a sanction or a court finding.",
        "What the child welfare case plan asks of a parent, and which of those activities can count "
        "toward Welfare-to-Work participation.",
        "When to call the Linkages liaison: a new referral, a planned sanction, a move, a job loss.",
        "Where the co-located social worker sits, and the hours of the weekly Linkages staffing."],
       visibility="members"),
    _r("Co-location Agreement: CalWORKs Staff in the Child Welfare Regional Offices", "San Diego", "policy",
       2013, "linkages", ["definitional", "sustainability"], ["co-location", "linkages-teams"],
       ["co-location", "guideline", "regional office"], "docx",
       "How employment counselors and social workers share space, supervision and case conferences in the "
       "regional offices, and what each program pays for.",
       ["Two CalWORKs employment counselors work in each child welfare regional office three days a week.",
        "Supervision stays with each worker's own program; case conferences on mutual families are joint.",
        "Child welfare provides the desks and network access; CalWORKs provides the counselors' time.",
        "Managers from both programs review the arrangement each quarter and adjust the schedule."]),
    _r("Joint Case Review Guide", "Kern", "protocol", 2020, "linkages", ["evaluation", "assessment-planning"],
       ["joint-case-reviews"], ["case review", "quality", "supervision"], "pdf",
       "How supervisors from both programs review a sample of mutual cases each quarter: what they read, "
       "the questions they ask and how findings reach the line staff.",
       ["Each quarter the two supervisors pick ten mutual cases at random from the data match list.",
        "They read both case plans side by side and ask: do the timelines fit, is anything required "
        "twice, did anyone resolve a sanction?",
        "Findings go back to the workers within two weeks, with one thing to keep and one to change.",
        "A yearly summary goes to the Linkages steering committee."], cluster="coordinated-case-planning"),
    _r("Joint Fiscal Plan for Linkages", "San Joaquin", "fiscal-plan", 2023, "calworks", ["fiscal", "sustainability"],
       ["joint-fiscal-plans"], ["fiscal", "budget", "braided funding"], "xlsx",
       "The worksheet both fiscal officers sign each year: positions, shared costs and the funding source "
       "that pays each share.",
       ["Linkages liaison position; CalWORKs single allocation; half",
        "Linkages liaison position; child welfare services allocation; half",
        "Family resource center space; Promoting Safe and Stable Families; shared",
        "Flexible housing and transportation funds; Family Stabilization; CalWORKs families only"],
       cluster="fiscal-sustainability"),
    _r("Braiding CalWORKs Single Allocation and Child Welfare Funds: A Primer", None, "policy", 2019, "cfpic",
       ["fiscal"], ["joint-fiscal-plans"], ["braided funding", "single allocation", "title iv-e"], "pdf",
       "What each funding stream can pay for, how counties share a position between programs, and the "
       "questions to settle with your fiscal officers first.",
       ["Braiding keeps each funding stream's money separate and accounted for while paying for one "
        "coordinated service.",
        "The CalWORKs single allocation can pay for employment services and supportive services for "
        "mutual families; child welfare funds pay for case management and family support.",
        "A shared position is split by a time study, not by a guess.",
        "Settle three questions first: who hires, who supervises, and who reports the time."]),
    _r("Linkages Time Study Codes: Quick Reference", "Sonoma", "tool", 2021, "linkages", ["fiscal"],
       ["joint-fiscal-plans"], ["time study", "codes", "fiscal"], "xlsx",
       "Which code a worker records for each Linkages activity, on one page that sits next to the keyboard.",
       ["Joint planning meeting with the parent; Linkages coordination code",
        "Team Decision Meeting attended by the CalWORKs worker; employment services code",
        "Weekly Linkages staffing; coordination code, split by program",
        "Travel to a co-located office; the program of the cases seen that day"], visibility="members"),
    _r("Statewide Evaluation of Linkages: Final Report", None, "report", 2011, "partner", ["evaluation"],
       ["identifying-mutual-cases", "joint-case-reviews"], ["evaluation", "outcomes", "harder+company"], "pdf",
       "The evaluation of the federal demonstration grant: implementation surveys, case studies in three "
       "counties, and outcome trends for recurrence of maltreatment and resolved sanctions.",
       ["Eighty-three per cent of counties said sharing resources is a key component of their Linkages work.",
        "Seventy per cent reported that two case plans are still written, but services and timelines are "
        "coordinated to support the family.",
        "Linkages families had fewer recurrences of maltreatment at three months than comparison families, "
        "and more often resolved CalWORKs sanctions.",
        "Strong leadership, a culture that supports innovation and clear communication between the two "
        "programs were the factors most related to success."]),
    _r("Linkages Outcomes Dashboard", "Tulare", "report", 2024, "linkages", ["evaluation"],
       ["identifying-mutual-cases"], ["dashboard", "data", "outcomes"], "xlsx",
       "The quarterly numbers the Tulare steering committee watches: mutual families identified, joint plans "
       "written, sanctions resolved and re-referrals.",
       ["Mutual families identified by the data match this quarter",
        "Families with a joint planning meeting within thirty days",
        "Sanctions resolved while the child welfare case was open",
        "Families re-referred to the hotline within twelve months"], visibility="members"),
    _r("Linkages: Effective, Efficient, Essential", None, "handbook", 2012, "cfpic", ["communication"],
       ["linkages-teams"], ["brochure", "outreach"], "pdf",
       "The brochure CFPIC made for county leaders and partners: the challenge, the solution, the eight "
       "strategies and what each program gains.",
       ["The challenge: child welfare and CalWORKs serve many of the same families, yet too often there is "
        "limited coordination, communication or resource sharing.",
        "The solution: collaboration that improves client services as well as the program bottom line.",
        "For CalWORKs: promotes employment and prevents sanctions. For child welfare: more resources for "
        "families and less of the poverty that contributes to maltreatment.",
        "I felt like I had someone on my side, said one parent."]),
    _r("Linkages Overview for the Board of Supervisors", "Merced", "presentation", 2017, "linkages",
       ["communication", "sustainability"], ["linkages-teams", "joint-fiscal-plans"],
       ["presentation", "board", "overview"], "pptx",
       "Twelve slides the directors presented to the Board: the overlap between the programs, what Linkages "
       "changed for Merced families, and the request to keep the liaison positions.",
       ["Nearly half of the children in child welfare have also received CalWORKs.",
        "Linkages leverages resources, reduces duplication and creates a team approach.",
        "This year: more parents in Family Reunification met participation hours, and fewer were sanctioned.",
        "The request: continue the joint fiscal plan and both liaison positions."]),
    _r("Your Two Workers, One Plan: A Guide for Parents", "San Francisco", "handbook", 2016, "linkages",
       ["communication"], ["coordinated-case-planning"], ["parents", "plain language", "handbook"], "pdf",
       "A plain-language guide for parents: who their workers are, what each plan asks, and how Linkages "
       "helps them keep one schedule.",
       ["You work with two programs. Linkages helps them work together with you.",
        "Your team is your social worker, your employment counselor and the Linkages liaison.",
        "Your workers build your case plan and your Welfare-to-Work plan together, so that classes, "
        "counseling and work fit in one week.",
        "You may be able to get help with child care, transportation and housing. Ask either worker."]),
    _r("Linkages Family Stories (video)", None, "video", 2010, "cfpic", ["communication"], [],
       ["video", "families"], "https://www.cfpic.org/linkages/videos/family-stories",
       "Families helped through Linkages describe what changed when their social worker and employment "
       "counselor worked together; the short cut is made for board meetings.", []),
    _r("Collaboration Checklist: What Directors, Managers and Staff Can Do", None, "tool", 2009, "cfpic",
       ["definitional", "sustainability"], ["linkages-teams", "cross-training"], ["checklist", "leadership"], "pdf",
       "What each level of both agencies can do to promote collaboration, from the director's first memo "
       "to the line worker's first joint visit.",
       ["Directors: say in writing that mutual families are served by both programs together, and repeat it.",
        "Managers: put Linkages on both programs' meeting agendas and give staff time for joint training.",
        "Supervisors: review mutual cases together and celebrate shared successes.",
        "Staff: call your counterpart before the family has to."]),
    _r("Webinar recording: Identifying Mutual Cases with a Monthly Data Match", None, "video", 2024, "cfpic",
       ["evaluation", "assessment-planning"], ["identifying-mutual-cases"], ["webinar", "data match"],
       "https://www.cfpic.org/linkages/webinars/data-match",
       "The Data & Evaluation cluster webinar: three counties show how they match child welfare and CalWORKs "
       "records each month, and what they do with the list.", []),
    _r("Sustaining Linkages Through Leadership Change: Lessons from Three Counties", "Orange", "report", 2015,
       "linkages", ["sustainability"], ["linkages-teams"], ["sustainability", "leadership", "lessons"], "pdf",
       "What kept Linkages alive in three counties when both directors changed, and what let it lapse in a "
       "fourth.",
       ["Leadership turnover derailed implementation that had otherwise been successful.",
        "Counties that wrote Linkages into job descriptions, the MOU and the budget kept it going.",
        "A steering committee with members at every level outlasted any one champion.",
        "Briefing a new director in the first month, with a family's story, made the difference."]),
    _r("Linkages Steering Committee Charter", "Placer", "policy", 2012, "linkages", ["sustainability", "definitional"],
       ["linkages-teams", "joint-case-reviews"], ["charter", "steering committee", "governance"], "docx",
       "Who sits on the committee, how often it meets, what it decides and how it reports to both directors.",
       ["Members: the Linkages coordinator, a manager and a line worker from each program, a fiscal officer "
        "and a parent partner.",
        "The committee meets monthly in the first year and quarterly after that.",
        "It reviews the data match results, the joint case reviews and the fiscal plan.",
        "It reports to both directors twice a year."], visibility="members"),
    _r("Housing First for Homeless Mutual Families: Referral Protocol", "Humboldt", "protocol", 2021, "cws",
       ["assessment-planning"], ["coordinated-case-planning"], ["homeless families", "housing", "special populations"],
       "pdf",
       "How homeless families in both programs are referred to housing support within days, and how "
       "housing becomes the first step of both plans.",
       ["A family without stable housing cannot keep appointments for either plan; housing comes first.",
        "The social worker or the employment counselor refers the family to the housing support program "
        "the day homelessness is known.",
        "Both plans list finding housing as the first activity, and it counts for both.",
        "The Linkages team meets weekly until the family is housed."]),
    _r("Sanction Resolution for Parents in Family Maintenance", "Ventura", "protocol", 2018, "calworks",
       ["assessment-planning"], ["coordinated-case-planning", "linkages-teams"], ["sanctions", "family maintenance"],
       "docx",
       "How the Linkages team helps a parent whose children are safely at home resolve a CalWORKs sanction "
       "before it costs the family its cash aid.",
       ["When a parent in Family Maintenance is sanctioned, the employment counselor tells the social worker.",
        "Together they look for good cause: a court date, a treatment program or a child's illness often is.",
        "The parent signs a compliance plan that fits the child welfare case plan.",
        "Resolving a sanction restores cash aid and often lowers the family's stress more than any class."]),
    _r("Teen Parents in Foster Care and CalWORKs: Coordination Guidelines", "Contra Costa", "policy", 2019,
       "linkages", ["assessment-planning", "training"], ["coordinated-case-planning"],
       ["teen parents", "foster youth", "special populations"], "pdf",
       "How social workers and Cal-Learn case managers coordinate for teen parents who are in foster care "
       "themselves.",
       ["Teen parents in foster care may be eligible for Cal-Learn, which supports finishing high school.",
        "The social worker and the Cal-Learn case manager hold one planning meeting with the young parent.",
        "School attendance counts for both plans; child care is arranged once.",
        "Independent living services and Cal-Learn bonuses are explained together."], visibility="members"),
    _r("Linkages Quarterly, Spring Issue", None, "newsletter", 2025, "cfpic", ["communication"], [],
       ["newsletter", "news"], "pdf",
       "News from the counties: a new data match in Butte, the annual convening agenda, and a Linkages team "
       "that resolved a year of sanctions.",
       ["Butte County joined the monthly data match and found more mutual families than it expected.",
        "The annual convening returns to Sacramento with clinical academies and peer cluster sessions.",
        "A Linkages team in the Central Valley resolved every sanction among its mutual families this year.",
        "Share your county's tools in the library; the Toolkit is updated each quarter."]),
    _r("Family Group Conferencing with CalWORKs: Facilitator Notes", "Monterey", "curriculum", 2014, "cws",
       ["training"], ["tdm-fgc"], ["family group conferencing", "facilitation"], "docx",
       "Notes for facilitators on bringing the CalWORKs worker into Family Group Conferencing: preparation, "
       "the family's private time, and the plan afterwards.",
       ["Prepare the family for a CalWORKs worker at the conference, and ask whom they want there.",
        "The CalWORKs worker explains services in the information-sharing phase and then leaves for the "
        "family's private time.",
        "The family's plan names who does what; the CalWORKs worker reflects it in the Welfare-to-Work plan.",
        "Follow up within a week with both workers."], cluster="family-engagement"),
    _r("Data Match Specification: Child Welfare and CalSAWS Records", "Butte", "tool", 2023, "linkages",
       ["evaluation", "assessment-planning"], ["identifying-mutual-cases"], ["data match", "calsaws", "cws/cms"],
       "md",
       "The fields, the matching rules and the monthly schedule Butte uses to find mutual families, written "
       "so another county's analyst can reuse it.",
       ["# Data match specification",
        "Match open child welfare cases against active CalWORKs cases on the parent's name and date fields, "
        "with a reviewer confirming near matches.",
        "Run on the first working day of the month; send the list only to the Linkages liaisons.",
        "Keep the list for ninety days, then delete it."], cluster="data-evaluation"),
    _r("Family Stabilization and Child Welfare: What the State Guidance Means for Counties", None, "policy",
       2022, "state", ["fiscal", "definitional"], ["joint-fiscal-plans"], ["state guidance", "family stabilization"],
       "pdf",
       "A CDSS summary of the guidance on Family Stabilization services for families also served by child "
       "welfare, and the coordination it expects.",
       ["Family Stabilization can pay for intensive case management and services for CalWORKs families in "
        "crisis, including families with an open child welfare case.",
        "Counties are encouraged to coordinate plans so that services are not duplicated.",
        "The guidance clarifies how costs are claimed when a worker serves both programs.",
        "Questions go to the CalWORKs and Family Resilience branch."], visibility="members"),
    _r("Benefit Access at the Front Door: Expedited CalWORKs at Emergency Response", "Yolo", "protocol", 2020,
       "linkages", ["assessment-planning"], ["identifying-mutual-cases"], ["benefit access", "emergency response",
                                                                          "prevention"], "pdf",
       "How Emergency Response workers offer an expedited CalWORKs and CalFresh application at the first "
       "visit, so families get concrete help while the investigation goes on.",
       ["Emergency Response workers carry the short application and explain it at the first visit.",
        "The application goes to a named eligibility worker, who decides within days, not weeks.",
        "Concrete help early, such as food, rent or child care, lowers the stress that puts children at risk.",
        "The ER worker and the eligibility worker talk again before the investigation closes."]),
    _r("Linkages Team Weekly Staffing Agenda", "Santa Cruz", "form", 2022, "linkages", ["assessment-planning"],
       ["linkages-teams"], ["agenda", "template", "staffing"], "docx",
       "The one-page agenda the Santa Cruz Linkages team uses each week: new mutual families, plans due, "
       "sanctions at risk, and wins.",
       ["New mutual families from the data match and the hotline flag.",
        "Joint plans due this week and who is writing them.",
        "Sanctions at risk, and what each worker will try first.",
        "Wins: a family reunified, a job started, a sanction resolved."], visibility="members"),
    _r("Reunification and Work Participation: A Five-Year Look", "Fresno", "report", 2020, "linkages",
       ["evaluation"], ["joint-case-reviews"], ["evaluation", "reunification", "work participation"], "pdf",
       "Fresno's own evaluation: how long Linkages families took to reunify, and how many met work "
       "participation, compared with families served by one program.",
       ["Linkages families in Family Reunification reunified sooner than families served by child welfare "
        "alone.",
        "More Linkages parents met work participation hours while their case was open.",
        "The biggest difference came from resolving sanctions in the first ninety days.",
        "Recommendation: keep the joint case reviews and train new workers in their first month."],
       visibility="members"),
    _r("Clinical Academy: Methamphetamine, Addiction and Mutual Families", None, "presentation", 2010, "cfpic",
       ["training"], ["cross-training"], ["clinical academy", "substance abuse", "convening"], "pptx",
       "Slides from the convening's clinical academy day: how addiction shows up in both caseloads, and how "
       "both workers support treatment instead of competing with it.",
       ["Addiction is a chronic condition; relapse is part of recovery, not the end of a case plan.",
        "Treatment counts toward Welfare-to-Work participation, so it need not compete with work hours.",
        "Both workers should know the treatment provider and the family's recovery plan.",
        "Case example: a father in residential treatment keeps his participation by attending there."]),
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



def make_xlsx(title, rows):
    """A small real workbook: the title, then one row per line ("a; b; c" are columns)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Linkages"
    sheet.append([title])
    for row in rows:
        sheet.append([cell.strip() for cell in row.split(";")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def make_pptx(title, paragraphs):
    """A small real slide deck: a title slide, then a slide per paragraph."""
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = title
    for paragraph in paragraphs:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = paragraph
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


_MAKERS = {"pdf": make_pdf, "docx": make_docx, "xlsx": make_xlsx, "pptx": make_pptx,
           "md": lambda title, paragraphs: "\n\n".join(paragraphs).encode("utf-8")}


def _file_name(entry):
    words = "".join(c if c.isalnum() else "-" for c in entry["title"].lower()).split("-")
    return "-".join(w for w in words if w)[:60] + "." + entry["format"]


def seed_library():
    """Thirty-five resources from twenty counties, CFPIC and the State; versions; the curated Toolkit."""
    people = {u.email: u for u in db.session.scalars(select(User))}
    counties = {c.name: c for c in db.session.scalars(select(County))}
    clusters = {c.slug: c for c in db.session.scalars(select(Cluster))}
    owners_by_county = {person.county.name: person for person in people.values()
                        if person.county and person.role == "member" and person.is_active}
    organizer = people["organizer@linkages.example.org"]
    state = people.get("linda.foster@cdss.example.gov", organizer)
    now = utcnow()
    made = {}
    for number, entry in enumerate(RESOURCES):
        county = entry["county"]
        owner = owners_by_county.get(county) if county else (state if entry["program"] == "state" else organizer)
        owner = owner or organizer  # counties without a member here shared theirs at a convening
        is_link = entry["format"].startswith("https://")
        stored = None if is_link else upload_bytes(
            _MAKERS[entry["format"]](entry["title"], entry["paragraphs"]), _file_name(entry))
        details = services.ResourceDetails(
            title=entry["title"], doc_type=entry["doc_type"], summary=entry["summary"],
            county_id=counties[county].id if county else None, program=entry["program"],
            toolkit_areas=entry["areas"], strategies=entry["strategies"], tags=entry["tags"],
            year=entry["year"], visibility=entry["visibility"],
            cluster_ids=[clusters[entry["cluster"]].id] if entry["cluster"] else [],
            link_url=entry["format"] if is_link else None)
        # Organizers may restrict to any cluster; the county member stays the owner.
        resource = services.share_resource(organizer if entry["cluster"] else owner, details, stored)
        resource.owner_id = owner.id
        days = max(3, (2026 - entry["year"]) * 23 + (number * 37) % 41)
        resource.created_at = resource.updated_at = now - timedelta(days=days, hours=number)
        resource.download_count = (number * 61 + entry["year"]) % 170 + (40 if entry["visibility"] == "public" else 4)
        if resource.current_version:
            version = resource.current_version
            version.uploaded_at, version.download_count = resource.created_at, resource.download_count
        made[resource.title] = resource

    # Two documents have a later version, as counties revise what they share.
    for title, paragraph, note in (
            ("Shared Release of Information for CWS and CalWORKs (English and Spanish)",
             "Updated for CalSAWS: the form names the new eligibility system and adds text messages as a "
             "way to share appointment times.", "Updated for CalSAWS"),
            ("DCFS and DPSS Linkages Memorandum of Understanding",
             "Amended: the monthly match now includes families with a closed case in the last six months.",
             "Amendment adopted by both directors")):
        resource = made[title]
        entry = next(e for e in RESOURCES if e["title"] == title)
        data = _MAKERS[entry["format"]](title, [paragraph, *entry["paragraphs"]])
        services.add_version(resource, people.get(resource.owner.email, organizer),
                             upload_bytes(data, _file_name(entry)), note)

    # The curated Toolkit: an introduction, a curator and CFPIC's choices in order for each area.
    services.ensure_toolkit_areas()
    for key, (introduction, curator) in TOOLKIT_AREAS_DEMO.items():
        services.describe_area(key, organizer, introduction, people[curator].id if curator else None)
        for title in TOOLKIT_CHOICES[key]:
            services.add_to_toolkit(key, made[title], organizer)
    db.session.flush()
