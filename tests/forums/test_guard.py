"""The confidentiality guard against a corpus of client-like text and realistic look-alikes.

Run with `-s` to see the precision and recall table; the test fails below 0.95 on either.
"""
import pytest

from community.forums import guard

#: (text, the rule that must fire) — text a worker might paste that identifies a client.
TRUE_POSITIVES = [
    ("Mom's SSN is 545-12-7789, can CalWORKs look her up?", "ssn"),
    ("Her social security number 545127789 is on the SAWS 1.", "ssn"),
    ("SSN: 601 44 9023 for the father.", "ssn"),
    ("ssn 123-45-6789", "ssn"),
    ("The kid's SS# is 432-11-0987 if that helps.", "ssn"),
    ("Social Security #: 212-67-4490", "ssn"),
    ("Can someone check 078-22-1345 in CalWIN? It's the mother's.", "ssn"),
    ("Pasting from the 1.4: 555-43-2109 / DOB 3/14/1988", "ssn"),
    ("Referral 0412-3387-2210-5567891 came in last night.", "case_number"),
    ("CWS/CMS case 1907-2231-4455-0001234 is the mutual one.", "case_number"),
    ("Case #4471-98 is the family I mentioned.", "case_number"),
    ("case number 20231187 — both programs have it open", "case_number"),
    ("Referral no. R2024-55821 was evaluated out.", "case_number"),
    ("Client ID 7745120 is sanctioned in WTW.", "case_number"),
    ("Can you check CIN 91234567A in MEDS?", "case_number"),
    ("Our referral #557812 needs a TDM this week.", "case_number"),
    ("The case: 3301-7712-0098-4410023, FR services.", "case_number"),
    ("case id 88812345 keeps showing up in the match report", "case_number"),
    ("DOB 04/12/2016, placed with grandma.", "date_of_birth"),
    ("Date of birth: 11-30-2019", "date_of_birth"),
    ("The youngest was born on March 3, 2022.", "date_of_birth"),
    ("d.o.b. 7/4/15 for the teen parent", "date_of_birth"),
    ("birthdate 2008-09-17, she turns 18 soon", "date_of_birth"),
    ("Baby born 1/2/2024 and mom is in WTW.", "date_of_birth"),
    ("DOB: Jan 5, 2010", "date_of_birth"),
    ("Dad's DOB is 12/25/1979.", "date_of_birth"),
    ("Mom's cell is (209) 555-0143, she prefers texts.", "phone"),
    ("Call the grandmother at 559-555-0199 after 5.", "phone"),
    ("You can reach the father on 916.555.0127.", "phone"),
    ("Her number: 661 555 0182", "phone"),
    ("Text the youth at +1 (310) 555-0166 about the appointment.", "phone"),
    ("The aunt's phone 707-555-0110 is disconnected.", "phone"),
    ("Left a voicemail for mom, 951-555-0172.", "phone"),
    ("Foster parent's cell: 530.555.0134", "phone"),
    ("Maria Gonzalez lives at 1423 Oak Street, Modesto with the kids.", "address"),
    ("The home visit is at 88 Sycamore Lane; Jose Ramirez will be there.", "address"),
    ("Ms. Thompson moved to 2210 West Elm Avenue last month.", "address"),
    ("Kevin Alvarez, 415 Pine Court, apartment B, needs a bus pass.", "address"),
    ("Sent the NOA to Angela Brooks at 77 Harbor Blvd.", "address"),
    ("Mrs. Nguyen, 3105 Mission Road, asked about child care.", "address"),
    ("Grandparents Robert Lee and Anna Lee at 19 Cedar Drive agreed to placement.", "address"),
    ("Dad (Marcus Hill) is staying at 540 Orchard Way with his brother.", "address"),
]

#: Text that must pass: meeting dates, statutes, budgets, public offices' numbers, and the like.
FALSE_POSITIVES = [
    "Our next Team Decision Meeting training is on 03/14/2025 at 10am.",
    "WIC 16501 defines child welfare services; see also WIC 11203.",
    "ACL 24-15 changes the Welfare-to-Work exemptions from 1/1/2025.",
    "The joint fiscal plan is $1,250,000 for FY 2024-25.",
    "Call the county's main office line at (209) 558-2500 for referrals.",
    "The CalWORKs call center: 877-410-8829 (toll free).",
    "Child abuse hotline: 916-875-5437, open 24 hours.",
    "Front desk (public): 559-600-1377",
    "Our department switchboard is 661-631-6000.",
    "The CDSS help desk 916-657-2598 answers questions about the ACL.",
    "The convening is on October 12, 2025 in Sacramento.",
    "We meet every 2nd Tuesday; the next call is 11/18/2025.",
    "CFPIC is at 1000 G Street, Suite 500, Sacramento.",
    "The Family Resource Center at 1320 Elm Street opens at 9.",
    "Stanislaus County Community Services Agency, 251 E Hackett Road, Modesto.",
    "Parking is free at 3701 Branch Center Road (Building A).",
    "Our caseload grew from 1,245 to 1,380 mutual cases this year.",
    "MPP 42-701.2 covers the exemption; MPP 40-107 the recertification.",
    "See All County Information Notice I-45-22 for the data match.",
    "In 2019-2020 we co-located 12 CalWORKs workers in 4 CWS offices.",
    "The match rate was 37.5% in Q3 2024 versus 31% in Q2.",
    "Budget line 5010-101-0001 funds the Linkages coordinator.",
    "Session 3 runs 1:30-3:00 pm; room 204.",
    "AB 12 extended foster care to 21; SB 1013 followed.",
    "The webinar recording is 58 minutes long, slides are 42 pages.",
    "Our MOU was signed 6/30/2023 by both directors.",
    "We piloted the release of information form in 2021-22.",
    "Penal Code 11165.7 lists mandated reporters.",
    "The CalFresh public information line is 1-800-952-5253.",
    "Call 211 or the county warmline 530-225-5555 for housing help.",
    "Item 4 on the agenda: case review tool version 2.3.",
    "Our TDM facilitator pool grew to 14; we hold about 60 TDMs a month.",
    "Office hours are 8-5; reception is at (707) 565-4500.",
    "The state allocation for 2025 is 3,400,000 dollars.",
    "Regulation 31-206 applies to case plans in FR.",
    "We saw 2,310 referrals and 845 were mutual cases.",
    "The Linkages team lead, Hector Villanueva, will present at the convening.",
    "James Chen and Maria Lopez co-facilitate the December call.",
    "Please RSVP by 12/01/2025 for the Fresno convening.",
    "WIC 16519.5 (Resource Family Approval) and WIC 361.5 both apply.",
    "Data pulled 2025-06-30 from the CWS/CMS Business Objects universe.",
    "The Fresno Department of Social Services main line 559-600-1377 can route you.",
]


def _rules(text):
    return {finding.rule for finding in guard.check(text)}


def test_guard_precision_and_recall_on_the_corpus():
    assert len(TRUE_POSITIVES) >= 40 and len(FALSE_POSITIVES) >= 40
    caught = [(text, rule) for text, rule in TRUE_POSITIVES if rule in _rules(text)]
    missed = [(text, rule) for text, rule in TRUE_POSITIVES if rule not in _rules(text)]
    wrongly = [(text, _rules(text)) for text in FALSE_POSITIVES if _rules(text)]
    true_positives, false_positives = len(caught), len(wrongly)
    precision = true_positives / ((true_positives + false_positives) or 1)
    recall = true_positives / len(TRUE_POSITIVES)
    print(f"\nconfidentiality guard: {len(TRUE_POSITIVES)} client-like texts, "
          f"{len(FALSE_POSITIVES)} look-alikes")
    print(f"  precision {precision:.3f}  recall {recall:.3f}  "
          f"(caught {true_positives}, missed {len(missed)}, false alarms {false_positives})")
    for text, rule in missed:
        print(f"  missed {rule}: {text}")
    for text, rules in wrongly:
        print(f"  false alarm {sorted(rules)}: {text}")
    assert precision >= 0.95 and recall >= 0.95


def test_social_security_numbers_block_and_other_findings_do_not():
    ssn = guard.check("Mom's SSN is 545-12-7789")
    assert [f.blocking for f in ssn] == [True]
    phone = guard.check("Mom's cell is (209) 555-0143")
    assert phone and not guard.is_blocking(phone)


def test_a_finding_reports_exactly_the_matching_text():
    text = "Referral 0412-3387-2210-5567891 came in."
    (finding,) = guard.check(text)
    assert finding.text == "0412-3387-2210-5567891"
    assert text[finding.start:finding.end] == finding.text
    assert finding.label == "a case or referral number"


@pytest.mark.parametrize("text", ["000-12-3456 is not valid", "666-12-3456 never issued",
                                  "987-65-4321 is an ITIN range"])
def test_impossible_social_security_numbers_are_not_reported_as_ssns(text):
    assert "ssn" not in _rules(text)
