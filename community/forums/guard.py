"""The confidentiality guard: catch text that looks like client information before it is posted.

All the rules live here. `check(text)` returns the findings; a Social Security number blocks the
post outright, anything else is shown to the author, who may edit or confirm it is not client data.
The rules are tested against a corpus of true and false positives (tests/forums/test_guard.py).
"""
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One piece of text that looks like client information."""

    #: ssn, case_number, date_of_birth, phone, address
    rule: str
    #: What the author is told ("a Social Security number").
    label: str
    #: The exact text that matched.
    text: str
    start: int
    end: int
    #: True when the post cannot be published even with confirmation.
    blocking: bool = False


LABELS = {
    "ssn": "a Social Security number",
    "case_number": "a case or referral number",
    "date_of_birth": "a date of birth",
    "phone": "a phone number",
    "address": "a street address next to a person's name",
}

_DATE = (r"(?:\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})"
         r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}"
         r"|\d{4}-\d{2}-\d{2})")

_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)(\d{3})[- ](?!00)(\d{2})[- ](?!0000)(\d{4})(?![\d-])")
_SSN_LABELLED = re.compile(r"\b(?:ssn|social security(?: number| no\.?| #)?)\s*[:#]?\s*(\d{9})\b",
                           re.IGNORECASE)
#: CWS/CMS identifiers are 19 digits shown as 4-4-4-7.
_CWS_CMS_ID = re.compile(r"(?<!\d)\d{4}-\d{4}-\d{4}-\d{7}(?!\d)")
_CASE_LABELLED = re.compile(
    r"\b(?:case|referral|client|cin|cws/cms)(?:\s+(?:id|no\.?|number|num|#))?\s*[:#]?\s*"
    r"(?=(?:[A-Z-]*\d){5})([A-Z0-9][A-Z0-9-]{4,24})\b", re.IGNORECASE)
_DOB = re.compile(r"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)(?:\s+(?:is|was))?\s*[:\-]?\s*(" + _DATE + r")",
                  re.IGNORECASE)
_PHONE = re.compile(r"(?<![\d-])(?:\+?1[ .-]?)?\(?(\d{3})\)?[ .-]?\d{3}[ .-]\d{4}(?![\d-])")
#: Words near a phone number that mark it as a public office's line.
_PUBLIC_LINE = re.compile(
    r"\b(?:office|main line|hotline|hot line|help ?line|helpdesk|help desk|front desk|toll[- ]free|"
    r"public|call center|switchboard|reception|department|agency|county line|211|warmline|"
    r"information line|intake line|line is)\b", re.IGNORECASE)
_TOLL_FREE = {"800", "888", "877", "866", "855", "844", "833"}
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|"
    r"Circle|Cir|Parkway|Pkwy|Terrace|Highway|Hwy)\b\.?")
_PERSON = re.compile(r"\b(?:(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
#: Capitalized words that make a two-word phrase an organization or place, not a person.
_NOT_A_NAME = set("""
County Counties Department Dept Services Service Social Office Offices Center Centre Human
Agency Family Families Resource Resources Street Avenue Road Boulevard Drive Lane Way Court Place
Suite Building Hall City State California Welfare Health Child Children Childrens Team Meeting
Meetings North South East West The Our We This That Staff Community Linkages Program Programs
Services Division Unit Campus Library Plaza Square Park Clinic Hospital School Schools Church
Bank Annex Wing Floor Room Conference Training Academy Policy Institute Board Supervisors Court
Superior Juvenile Probation Employment Development Housing Authority Head Start Public Assistance
Welcome Please Join Our Drop Parking Main Room Building Administration Administrative Avenue Road
January February March April May June July August September October November December Monday
Tuesday Wednesday Thursday Friday Saturday Sunday Stanislaus Los Angeles San Bernardino Fresno
Alameda Santa Clara Sacramento Riverside Diego Kern Joaquin Sonoma Tulare Francisco Merced Placer
Yolo Orange Ventura Marin Contra Costa Mateo Barbara Cruz Luis Obispo Mendocino Humboldt Shasta
Butte Napa Solano Monterey Kings Madera Imperial Tehama Glenn Lake Nevada Sutter Yuba El Dorado
CalWORKs CalFresh CWS CMS CDSS CFPIC TDM WIC ACL Welfare-to-Work Visit Mail Send Located Office
Regional Headquarters District Neighborhood Family Resource Workforce Job Career One Stop Annual
""".split())
_ADDRESS_WINDOW = 80


def _overlaps(span, spans):
    return any(span[0] < end and start < span[1] for start, end in spans)


def _find_ssns(text):
    for match in list(_SSN.finditer(text)) + list(_SSN_LABELLED.finditer(text)):
        span = match.span(1) if match.re is _SSN_LABELLED else match.span()
        yield Finding("ssn", LABELS["ssn"], text[span[0]:span[1]], *span, blocking=True)


def _find_case_numbers(text):
    for match in _CWS_CMS_ID.finditer(text):
        yield Finding("case_number", LABELS["case_number"], match.group(), *match.span())
    for match in _CASE_LABELLED.finditer(text):
        yield Finding("case_number", LABELS["case_number"], match.group(1), *match.span(1))


def _find_dates_of_birth(text):
    for match in _DOB.finditer(text):
        yield Finding("date_of_birth", LABELS["date_of_birth"], match.group(), *match.span())


def _find_phones(text):
    for match in _PHONE.finditer(text):
        if match.group(1) in _TOLL_FREE:
            continue
        start, end = match.span()
        around = text[max(0, start - 60):start] + " " + text[end:end + 40]
        if _PUBLIC_LINE.search(around):
            continue
        yield Finding("phone", LABELS["phone"], match.group(), start, end)


def _looks_like_person(phrase):
    words = re.findall(r"[A-Za-z'-]+", phrase)
    if words and words[0].rstrip(".") in ("Mr", "Mrs", "Ms", "Miss", "Mx"):
        return True
    return not any(word.strip("'s") in _NOT_A_NAME or word in _NOT_A_NAME for word in words)


def _find_addresses(text):
    for match in _STREET.finditer(text):
        start, end = match.span()
        window_start = max(0, start - _ADDRESS_WINDOW)
        window = text[window_start:min(len(text), end + _ADDRESS_WINDOW)]
        offset = window_start
        for person in _PERSON.finditer(window):
            span = (person.start() + offset, person.end() + offset)
            if _overlaps(span, [(start, end)]):
                continue
            if _looks_like_person(person.group()):
                yield Finding("address", LABELS["address"], match.group().strip(), start, end)
                break


_RULES = (_find_ssns, _find_case_numbers, _find_dates_of_birth, _find_phones, _find_addresses)


def check(text):
    """Every finding in `text`, in order, without overlapping duplicates (SSNs win)."""
    findings, taken = [], []
    for rule in _RULES:
        for finding in rule(text or ""):
            span = (finding.start, finding.end)
            if _overlaps(span, taken):
                continue
            taken.append(span)
            findings.append(finding)
    return sorted(findings, key=lambda f: f.start)


def is_blocking(findings):
    return any(f.blocking for f in findings)
