"""The guard's rules: regular expressions and the judgement around them, one function per kind.

Each rule takes normalised text (see `normalise`) and yields (kind, (start, end)) spans in it.
"""
import re

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_SEP = r"(?:[ \t]*[-./,][ \t]*|[ \t]{1,3})"

_SSN = re.compile(rf"(?<![\d-])(?<!\d\.)(?!000|666|9\d\d)\d{{3}}{_SEP}(?!00)\d{{2}}{_SEP}(?!0000)\d{{4}}"
                  r"(?!\d)(?!-\d)(?!\.\d)")
_SSN_LABEL = (r"(?:\bssns?\b|\bss\s?#|\bs\.s\.(?:n\.?)?|\bss\s?(?:no\b|num|number)|\bsoc(?:ial)?\.?\s*sec(?:urity)?\b"
              r"|\bsocial\b(?!\s+(?:work|service|media|emotional|skill|justice|determinant|capital|"
              r"model|network|security\s+(?:admin|office|benefit|income|act|disab|card\s+office))))")
_SSN_LABELLED = re.compile(
    _SSN_LABEL + r"[^\d\n]{0,30}?(?<!\d)(\d{3}" + _SEP + r"?\d{2}" + _SEP + r"?\d{4})(?!\d)",
    re.IGNORECASE)
_SSN_LAST_FOUR = re.compile(
    r"(?:" + _SSN_LABEL + r"[^\d\n]{0,30}?(?:last\s*(?:4|four)|ending(?:\s+in)?|ends\s+in)[^\d\n]{0,20}?"
    r"|(?:last\s*(?:4|four)|ending(?:\s+in)?|ends\s+in)[^\d\n]{0,12}?" + _SSN_LABEL + r"[^\d\n]{0,20}?)"
    r"(?<!\d)(\d{4})(?!\d)", re.IGNORECASE)
_SSN_MASKED = re.compile(rf"(?<![\w*#])(?:[xX*#]{{3}}){_SEP}?(?:[xX*#]{{2}}){_SEP}?(\d{{4}})(?!\d)")

#: CWS/CMS identifiers are 19 digits shown as 4-4-4-7.
_CWS_CMS_ID = re.compile(rf"(?<![\d-])\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{7}}(?!\d)")
_CASE_LABEL = re.compile(
    r"\b(?:(?:case|referral|client|participant|recipient|applicant|customer|youth|child|person|"
    r"household|family|docket|petition|matter|account|acct|record|file|benefits?|ebt|medi-cal|meds)"
    r"(?:\s+(?:id|identifier|no\b\.?|nbr|number|num|#|code|file))*"
    r"|(?:cin|calsaws|calwin|leader|c-iv|cws/cms|cws|cms|saws|dependency|juvenile|court)"
    r"(?:\s+(?:case|referral|client|id|identifier|no\b\.?|number|num|#))*"
    r"|(?:id|identifier)\s+(?:no\b\.?|number|#))"
    r"s?\b(?:\s*(?:#|no\b\.?|number|:|=|is\b|was\b))*\s*[.:#]?\s*", re.IGNORECASE)
_CASE_VALUE = re.compile(r"(?=[A-Za-z]{0,4}[-\s]?\d)[A-Za-z0-9]+(?:(?:-|/|\.(?=\w))[A-Za-z0-9]+|[ \t]+(?=[A-Z]{0,3}[ \t-]?\d)[A-Z]{0,3}[ \t-]?\d[A-Za-z0-9]*)*")
_MARKER = re.compile(r"(?:#|\bno\b|number|\bid\b|identifier|\bnum\b|nbr|:)", re.IGNORECASE)
_YEARISH = re.compile(r"^(?:(?:19|20)\d\d(?:[-/](?:(?:19|20)?\d\d))?|FY\d+)$", re.IGNORECASE)
_DATEISH = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}$|^\d{1,2}[-/]\d{1,2}$")
#: Identifiers as eligibility systems print them: letters and digits mixed (A1B2C3D), a CIN
#: (8 digits and a letter), a letter and 7-9 digits, a juvenile court number, year-serial-letter.
_ALNUM_ID = re.compile(r"(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,14}(?![\w-])")
_CIN = re.compile(r"(?<![\w-])\d{8}[A-Za-z](?![\w-])")
_LETTER_DIGITS = re.compile(r"(?<![\w-])[A-Z]\d{7,9}(?![\w-])")
_COURT_NUMBER = re.compile(r"(?<![\w-])(?:JV|JD|JW|DP|JUV|J)[- ]?(?:\d{4,8}|\d{2,4}[- ]\d{3,7})(?:-[A-Z0-9]{1,4})?(?![\w-])")
_SERIAL_SUFFIX = re.compile(r"(?<![\w-])\d{2}-\d{4,7}-[A-Z]{1,2}\d?(?![\w-])")
_LONG_NUMBER = re.compile(r"(?<![\d$,.\-/])\d{8,19}(?![\d,%]|\.\d|\s*(?:dollars|percent))")

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (rf"(?:\d{{4}}\s*[-/.]\s*\d{{1,2}}\s*[-/.]\s*\d{{1,2}}"
         rf"|\d{{1,2}}\s*[/.-]\s*\d{{1,2}}(?:\s*[/.-]\s*(?:\d{{4}}|\d{{2}}))?(?![\d/])"
         rf"|{_MONTH}\s+\d{{1,2}}{_ORD},?\s+\d{{4}}"
         rf"|\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
         rf"|{_MONTH}\s+\d{{1,2}}{_ORD}(?![\d:])"
         rf"|{_MONTH},?\s+\d{{4}})")
_DOB = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*-?\s*date|birth\s*days?(?!\s+(?:party|potluck|"
    r"lunch|card|celebration|cake))|b-?days?\b|born\b(?:\s+on)?|birthed|fecha\s+de\s+nacimiento)"
    rf"[^\d\n]{{0,25}}?({_DATE})", re.IGNORECASE)

_NAME_WORD = rf"[{_UP}][{_LOW}'’]+(?:-[{_UP}][{_LOW}'’]+)?"
_NAME = rf"(?:{_NAME_WORD}(?:\s+(?:[{_UP}]\.|{_NAME_WORD})){{0,2}}|[{_UP}]\.\s?[{_UP}]\.)"
_AGE_OLD = r"(?:y/?o\b|y\.o\.?|(?:yrs?|years?|months?|mos?)\.?[- ]?old\b|-(?:year|month)s?-old\b)"
_AGE_UNIT = r"(?:yrs?|years?|months?|mos?|y/?o)\.?(?:\s*old)?"
_CHILD_AGE_AFTER = re.compile(
    rf"(?<![\w.])({_NAME})(?:(?:\s*[,(\[:]\s*|\s+-\s+|\s+)(?:age[sd]?|aged)\s*:?\s*\d{{1,2}}(?![\d-])"
    rf"|(?:\s*[,(\[:]\s*|\s+-\s+|\s+)\d{{1,2}}\s*{_AGE_OLD}"
    rf"|\s*\(\s*\d{{1,2}}\s*{_AGE_UNIT}\s*\))\)?")
_CHILD_AGE_PAREN = re.compile(rf"(?<![\w.])({_NAME})\s*\(\s*\d{{1,2}}\s*\)")
_CHILD_AGE_COMMA = re.compile(rf"(?<![\w.])({_NAME}),\s*\d{{1,2}}\s*(?=,|;|\)|\s+(?:and|&)\s)")
_CHILD_AGE_IS = re.compile(
    rf"(?<![\w.])({_NAME})\s+(?:is|was|turned|turns|just\s+turned|will\s+be)\s+(?:now\s+|only\s+|almost\s+)?"
    rf"\d{{1,2}}(?!\d)(?!\s*(?:hours?|minutes?|days?|weeks?|percent|%|pm|am|p\.m|a\.m|people|staff|"
    rf"cases|families|counties|sessions|of|to|or|-|:|/|\.\d|st\b|nd\b|rd\b|th\b))")
_CHILD_AGE_BEFORE = re.compile(
    rf"\b\d{{1,2}}[- ](?:year|yr|month)s?[- ]old(?:\s+(?:son|daughter|boy|girl|child|kid|toddler|"
    rf"infant|baby|sibling|brother|sister|twin|youth|teen|niece|nephew|grandson|granddaughter))?"
    rf"\s*,?\s*(?:named\s+)?({_NAME})")
#: Words that begin a name but are a relation or a title; dropped before the name check.
_NAME_PREFIX = {"mr", "mrs", "ms", "miss", "mx", "baby", "little", "grandma", "grandpa", "abuela",
                "abuelo", "aunt", "auntie", "tia", "tio", "uncle", "cousin", "brother", "sister",
                "nana", "papa", "mama", "son", "daughter", "twin"}
#: Capitalised words that make a phrase an organisation, place, time or common word, not a person.
_NOT_A_NAME = {word.lower() for word in """
County Counties Department Dept Services Service Social Office Offices Center Centre Human Agency
Family Families Resource Resources Street Avenue Road Boulevard Drive Lane Way Court Place Suite
Building Hall City State California Welfare Health Child Children Childrens Team Meeting Meetings
North South East West The Our We This That These Those Staff Community Linkages Program Programs
Division Unit Campus Library Plaza Square Park Clinic Hospital School Schools Church Bank Annex Wing
Floor Room Conference Training Academy Policy Institute Board Supervisors Superior Juvenile Probation
Employment Development Housing Authority Head Start Public Assistance Welcome Please Join Drop
Parking Main Administration Administrative January February March April May June July August
September October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday Jan Feb
Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun Stanislaus Los
Angeles Bernardino Fresno Alameda Sacramento Riverside Kern Sonoma
Tulare Merced Placer Yolo Orange Ventura Marin Costa Obispo
Mendocino Humboldt Shasta Butte Napa Solano Monterey Kings Madera Imperial Tehama Lake Nevada Santa San Los
El Contra Del
Sutter Yuba Dorado Modesto Oakland Bakersfield Stockton Redding Chico Visalia CalWORKs CalFresh
CWS CMS CDSS CFPIC TDM WIC ACL ACIN MPP Welfare-to-Work Visit Mail Send Located Regional
Headquarters District Neighborhood Workforce Job Career One Stop Annual Session Sessions Item Items
Step Steps Phase Module Part Section Chapter Page Pages Table Figure Appendix Option Level Tier
Grade Grades Group Groups Cohort Round Week Weeks Day Days Year Years Month Months Quarter Age Ages
Youth Kids Children Teens Teen Parents Participants Members Workers Caseworkers Supervisors
Families Clients Households Eligibility Foster Care Extended Transitional Kinship Adoption Adoptions
Question Questions Answer Note Notes Update Updates Agenda Minutes Report Reports Budget Plan Plans
Goal Goals Outcome Outcomes Data Dashboard Survey Webinar Workshop Summit Convening Convenings Call
Calls Cluster Clusters Forum Forums Topic Topics Thread Threads Post Posts Version Draft Final
Form Forms Slide Slides Video Toolkit Guide Manual Handbook Bill Bills Assembly Senate Code Title
Article Rule Rules Regulation Regulations Statute Section Act Law Laws Federal Grant Grants Fund
Funds Funding Fiscal Total Totals Cases Case Referrals Referral Placements Placement Average Median
Under Over About Around Only Just Both Each Every All Some Most Many Few Several Between From Since
Until After Before During Ages Aged Born Infants Toddlers Preschool Elementary Middle High College
University Head Early Start Kindergarten Grade Pre-K TK Zone Area Region Regions Bay Valley Central
Northern Southern Coast Inland Rural Urban Tribal Tribe Tribes Nation Nations Indian American Native
Latino Latina Latinx Black White Asian Pacific Spanish English Hmong Vietnamese Chinese Korean
Tagalog Russian Arabic Farsi Armenian Cambodian Khmer Lao Punjabi Mixteco Interpreter Hotline
Warmline Line Lines Number Numbers Phone Cell Fax Email Address Contact Hours Open Closed Hi Hello
Thanks Thank Yes No Okay OK Sure Also Then Now Today Tomorrow Yesterday Tonight Next Last First
Second Third Fourth Fifth Q1 Q2 Q3 Q4 FY SFY Room Rooms Building Floors Region Highway Interstate
Route Exit Mile Miles Lunch Break Breakfast Dinner Reception Keynote Panel Panels Breakout Breakouts
Track Tracks Poster Award Awards Ceremony Ticket Tickets Registration Seats Seat Tables Total
Number Count Counts Percent Rate Rates Increase Decrease Change Changes Growth Trend Trends AB SB
Medi-Cal Medicaid Medicare SSI SSA SSDI TANF SNAP EBT WIOA WTW IV-E Title IV-B FFPSA CFSR CSA HHSA
DSS DPSS DCFS HHS FRC CalSAWS CalWIN LEADER C-IV MEDS SAWS NOA Mom Dad Mother Father Grandmother
Grandfather Caregiver Caregivers Guardian Guardians Relative Relatives Sibling Siblings Infant Toddler
Baby Babies Boy Boys Girl Girls Son Sons Daughter Daughters Twins Client Customer Worker Worker's
Supervisor Manager Director Deputy Analyst Coordinator Facilitator Specialist Assistant Officer
Judge Commissioner Attorney Counsel Advocate CASA Therapist Counselor Nurse Doctor Teacher Principal
Chair Vice President Secretary Treasurer Member Participant Attendee Attendees Speaker Speakers
Presenter Presenters Host Hosts Panelist Panelists Trainer Trainers Lead Leads Leader Leaders Students Adults Seniors Residents Applicants Recipients
Individuals Persons People Person Minors Dependents Wards
""".split()}

_STREET_SUFFIX = (r"(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|"
                  r"Place|Pl|Circle|Cir|Parkway|Pkwy|Terrace|Ter|Highway|Hwy|Trail|Trl|Loop|Alley|"
                  r"Path|Pike|Crescent|Cres|Expressway|Expy|Run|Walk)")
_STREET = re.compile(
    rf"(?<![\w$.,/-])\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?:(?:[NSEW]|N[EW]|S[EW])\.?\s+|(?:North|South|East|West)\s+)?"
    rf"(?:(?:[{_UP}][{_LOW}'’.-]*|\d{{1,3}}(?:st|nd|rd|th)|[A-Z])\s+){{1,3}}{_STREET_SUFFIX}\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Unit|Space|Spc|Trlr|Lot|#)\.?\s*#?\s*[A-Za-z0-9-]{1,5}\b)?")
_STREET_LOWER = re.compile(
    r"(?<![\w$.,/-])\d{1,6}\s+(?:[a-z]+\s+){1,2}(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln)\b\.?"
    r"(?:,?\s*(?:apt|apartment|unit|space|lot|#)\.?\s*#?\s*[a-z0-9-]{1,5}\b)?")
#: Words that make an address a public place (an office, a venue), not where a family lives.
_PUBLIC_PLACE = re.compile(
    r"\b(?:count(?:y|ies)|agenc(?:y|ies)|offices?|department|dept|services|center|centre|building|"
    r"bldg|suites?|ste|hall|library|clinic|hospital|court\s?house|superior\s+court|campus|headquarters|"
    r"hq|conference|training|venue|hotel|inn|marriott|hilton|hyatt|sheraton|doubletree|auditorium|"
    r"room|parking|court|juvenile|park\s+in|cfpic|cdss|ssa|hhsa|dss|dpss|dcfs|hhs|csa|frc|school|church|university|"
    r"college|located|held|hosted|convening|workshop|summit|meeting|meetings|session|event|lobby|"
    r"front\s+desk|mail(?:ing)?\s+(?:the|it|this|your|to|them|forms?|documents?|donations?)|send|deliver|submit|drop[- ]?off|pick[- ]?up|p\.?\s?o\.?\s+box|"
    r"ms\s+[\d-]+|mail\s+stop|headquarter|annex|plaza|division|bureau|program|foundation|institute|"
    r"nonprofit|non-profit|partner|provider|shelter\s+office|state\s+of|capitol|"
    r"directions|entrance|visitors?|public|our\s+new|we\s+moved|we\s+are|we're|relocat\w*)\b",
    re.IGNORECASE)
#: Words that make an address a person's home, even near an office word.
_HOME = re.compile(
    r"\b(?:lives?|living|lived|resides?|residing|stays?|staying|stayed|home|house|apartment|apt|"
    r"trailer|evicted|eviction|landlord|placed|placement|(?:her|his|their|mom'?s|dad'?s|family'?s|"
    r"client'?s|youth'?s|grandma'?s|grandmother'?s|aunt'?s|uncle'?s)\s+(?:new\s+)?(?:address|place))\b",
    re.IGNORECASE)

#: For an address typed all in lower case: something personal must be near it.
_PERSONAL_NEAR = re.compile(
    r"\b(?:moved|moving|mom|dad|mother|father|family|kids|children|grand(?:ma|mother|pa|father)|aunt|"
    r"uncle|youth|client|caregiver|she|he|they|her|his|their)\b", re.IGNORECASE)
_UNIT = re.compile(r"\b(?:apt|apartment|unit|space|spc|trlr|lot)\b|#", re.IGNORECASE)

_PHONE = re.compile(r"(?<![\d-])(?:\+?1[ .-]?)?(?:\(\s*(\d{3})\s*\)|(\d{3}))[ .-]?\d{3}[ .-]?\d{4}(?![\d-])")
#: Words near a phone number that mark it as a public office's line.
_PUBLIC_LINE = re.compile(
    r"\b(?:office|offices|main\s+line|main\s+number|hotline|hot\s+line|help\s?line|help\s?desk|"
    r"front\s+desk|toll[- ]free|public|call\s+center|switchboard|reception|department|dept|agency|"
    r"county|211|warm\s?line|information|info|intake|line|ext|extension|fax|tty|tdd|crisis|24/7|"
    r"24\s+hours|program|unit|division|bureau|services|center|clinic|hospital|school|cdss|cfpic|"
    r"questions|rsvp|register|registration|contact\s+us|call\s+us|our\s+number|dial|administration|"
    r"lobby|csa|dss|hhsa|dpss|dhs|dcfs|ssa|cws|calworks|calfresh|frc|coordinator|manager|supervisor|"
    r"director|analyst|liaison|specialist|facilitator|call[- ]in|dial[- ]in|zoom|teams|webex|meeting|"
    r"passcode|conference|bridge)\b",
    re.IGNORECASE)
#: Words near a phone number that make it a person's own, even next to an office word.
_PERSONAL_LINE = re.compile(
    r"\b(?:cell|cellphone|mobile|personal|home\s+(?:phone|number)|(?:her|his|their)\s+(?:phone|number|"
    r"cell|line|#)|text\s+(?:her|him|them)|reach\s+(?:her|him|them)|call\s+(?:her|him|them))\b",
    re.IGNORECASE)
_TOLL_FREE = {"800", "888", "877", "866", "855", "844", "833"}
_SENTENCE_END = re.compile(r"(?<=[a-z]{3}[.!?])\s+(?=[A-Z])|(?<=\d[.!?])\s+(?=[A-Z])|\n")


def _sentence_around(text, start, end, before=90, after=70):
    """The text of the sentence around a match, at most `before`/`after` characters each side."""
    left = text[max(0, start - before):start]
    right = text[end:end + after]
    pieces = _SENTENCE_END.split(left)
    left = pieces[-1] if pieces else left
    right = _SENTENCE_END.split(right)[0]
    return left, right


def _ssns(text):
    for match in _SSN.finditer(text):
        yield "ssn", match.span()
    for pattern in (_SSN_LABELLED, _SSN_LAST_FOUR):
        for match in pattern.finditer(text):
            yield "ssn", match.span(1)
    for match in _SSN_MASKED.finditer(text):
        yield "ssn", match.span()


def _digits(value):
    return sum(char.isdigit() for char in value)


def _letters(value):
    return sum(char.isalpha() for char in value)


def _case_numbers(text):
    for match in _CWS_CMS_ID.finditer(text):
        yield "case_number", match.span()
    for label in _CASE_LABEL.finditer(text):
        value = _CASE_VALUE.match(text, label.end())
        if value is None:
            continue
        raw = value.group().rstrip(".")
        digits, letters = _digits(raw), _letters(raw)
        if not digits or _YEARISH.match(raw) or _DATEISH.match(raw) or re.search(r"\d/\d{1,2}/\d", raw):
            continue
        marked = bool(_MARKER.search(label.group()))
        mixed = letters and re.search(r"[A-Za-z]\d|\d[A-Za-z]", raw)
        if digits >= 5 or (marked and digits >= 4) or (mixed and digits >= 3) or (marked and mixed and digits >= 2):
            yield "case_number", (value.start(), value.start() + len(raw))
    for match in _ALNUM_ID.finditer(text):
        token = match.group()
        transitions = len(re.findall(r"[A-Z](?=\d)|\d(?=[A-Z])", token))
        if transitions >= 3 and _digits(token) >= 3 and not re.match(r"(?:FY|SFY|Q\d|CY)", token):
            yield "case_number", match.span()
    for pattern in (_CIN, _LETTER_DIGITS, _COURT_NUMBER, _SERIAL_SUFFIX):
        for match in pattern.finditer(text):
            yield "case_number", match.span()


def _long_numbers(text):
    for match in _LONG_NUMBER.finditer(text):
        number = match.group()
        if len(number) in (10, 11):  # phone-shaped: the phone rule decides
            continue
        if len(number) == 8 and re.match(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$", number):
            continue  # 20250630, a date
        yield "case_number", match.span()


def _dates_of_birth(text):
    for match in _DOB.finditer(text):
        yield "date_of_birth", match.span()


def _looks_like_person(name):
    words = re.findall(rf"[{_UP}{_LOW}'’.-]+", name)
    while words and words[0].lower().rstrip(".") in _NAME_PREFIX:
        words = words[1:]
    if not words:
        return False
    return not any(word.lower().rstrip(".").removesuffix("'s").removesuffix("’s") in _NOT_A_NAME
                   for word in words)


def _children_with_ages(text):
    for pattern in (_CHILD_AGE_AFTER, _CHILD_AGE_COMMA, _CHILD_AGE_IS, _CHILD_AGE_BEFORE):
        for match in pattern.finditer(text):
            if _looks_like_person(match.group(1)):
                yield "child_age", match.span()
    for match in _CHILD_AGE_PAREN.finditer(text):
        name = match.group(1)
        if _looks_like_person(name) and (len(name.split()) >= 2 or re.search(
                r"\b(?:son|daughter|child|kid|baby|boy|girl|sibling|brother|sister|youth|twins?|"
                r"grandson|granddaughter|niece|nephew|toddler|infant|kids|children)\W*$",
                text[max(0, match.start() - 25):match.start()], re.IGNORECASE)):
            yield "child_age", match.span()


def _phones(text):
    for match in _PHONE.finditer(text):
        area = match.group(1) or match.group(2)
        start, end = match.span()
        left, right = _sentence_around(text, start, end, 70, 45)
        around = left + " " + right
        if _PERSONAL_LINE.search(around):
            yield "phone", (start, end)
        elif area in _TOLL_FREE or _PUBLIC_LINE.search(around):
            continue
        else:
            yield "phone", (start, end)


def _addresses(text):
    for pattern in (_STREET, _STREET_LOWER):
        for match in pattern.finditer(text):
            start, end = match.span()
            left, right = _sentence_around(text, start, end)
            around = left + " " + right
            home = _HOME.search(around) or _UNIT.search(match.group())
            if pattern is _STREET_LOWER and not (home or _PERSONAL_NEAR.search(around)):
                continue
            if home or not _PUBLIC_PLACE.search(around):
                yield "address", (start, end)


#: In order of precedence: where two rules match the same text, the earlier one reports it.
RULES = (_ssns, _dates_of_birth, _case_numbers, _children_with_ages, _phones, _addresses,
          _long_numbers)
