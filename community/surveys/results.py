"""What a round's answers add up to: counts per question, change between rounds, the stage map.

Confidentiality rules live here, once: only submitted responses count; a group of fewer than
`MIN_GROUP` respondents shows no figures at all ("fewer than 5"); individual answers never carry a
name; free-text answers are shown only to organizers, and only for groups of `MIN_GROUP` or more.
"""
import csv
import io
import statistics
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import County
from ..charts import Bar
from ..extensions import db
from ..permissions import can
from ..vocabulary import IMPLEMENTATION_STAGES
from .models import CHOICE_KINDS, SCALE, SUBMITTED, TEXT_KINDS, SurveyResponse

#: Groups smaller than this show no figures.
MIN_GROUP = 5
SUPPRESSED = "fewer than 5"
STAGE_LABELS = dict(IMPLEMENTATION_STAGES)


@dataclass
class QuestionResult:
    question: object
    answered: int = 0
    bars: list = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    texts: list = field(default_factory=list)
    suppressed: bool = False


@dataclass
class RoundResults:
    survey_round: object
    respondents: int
    suppressed: bool
    questions: list
    county: object = None


def submitted_responses(survey_round, county_id=None):
    query = (select(SurveyResponse).where(SurveyResponse.round_id == survey_round.id,
                                          SurveyResponse.status == SUBMITTED)
             .options(selectinload(SurveyResponse.answers)))
    if county_id:
        query = query.where(SurveyResponse.respondent_county_id == county_id)
    return db.session.scalars(query).all()


def round_results(survey_round, viewer, county_id=None):
    """Aggregates of a round (optionally of one county's respondents), suppressed below MIN_GROUP."""
    responses = submitted_responses(survey_round, county_id)
    suppressed = len(responses) < MIN_GROUP
    show_text = can(viewer, "organize")
    questions = []
    for question in survey_round.survey.questions:
        values = [r.values().get(question.id) for r in responses]
        values = [v for v in values if v not in (None, "", [])]
        result = QuestionResult(question, answered=len(values))
        if suppressed or (0 < len(values) < MIN_GROUP):
            result.suppressed = True
        else:
            _fill(result, question, values, len(responses), show_text)
        questions.append(result)
    county = db.session.get(County, county_id) if county_id else None
    return RoundResults(survey_round, len(responses), suppressed, questions, county)


def _choices_of(question):
    if question.kind == "stage":
        return IMPLEMENTATION_STAGES
    if question.kind == "scale":
        return [(n, str(n)) for n in SCALE]
    return [(option, option) for option in question.options]


def _fill(result, question, values, respondents, show_text):
    kind = question.kind
    if kind in CHOICE_KINDS or kind in ("stage", "scale"):
        counts = {}
        for value in values:
            for chosen in (value if isinstance(value, list) else [value]):
                counts[chosen] = counts.get(chosen, 0) + 1
        base = respondents if kind == "multiple" else len(values)
        result.bars = [Bar(label, counts.get(key, 0), 100.0 * counts.get(key, 0) / base if base else 0.0)
                       for key, label in _choices_of(question)]
    if kind in ("scale", "number") and values:
        numbers = [float(v) for v in values]
        result.mean, result.median = statistics.fmean(numbers), statistics.median(numbers)
        result.minimum, result.maximum = min(numbers), max(numbers)
    if kind in TEXT_KINDS and show_text:
        result.texts = sorted(values, key=str.lower)  # sorted, so order says nothing of who wrote what


@dataclass
class Change:
    label: str
    before: float | None
    after: float | None

    @property
    def delta(self):
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def compare(earlier, later):
    """[(question, [Change])] for the choice, scale and stage questions of two rounds (percent points)."""
    changes = []
    for before_q, after_q in zip(earlier.questions, later.questions, strict=False):
        question = after_q.question
        if not after_q.bars and not before_q.bars:
            continue
        before = {b.label: b.percent for b in before_q.bars} if not before_q.suppressed else {}
        after = {b.label: b.percent for b in after_q.bars} if not after_q.suppressed else {}
        labels = [label for _, label in _choices_of(question)]
        changes.append((question, [Change(label, before.get(label), after.get(label)) for label in labels],
                        before_q.mean, after_q.mean))
    return changes


def stage_by_county(survey_round):
    """{county name: stage key} from a per-county round's first stage question (submitted answers)."""
    survey = survey_round.survey
    stage_question = next((q for q in survey.questions if q.kind == "stage"), None)
    if stage_question is None or not survey.is_per_county:
        return {}
    stages = {}
    for response in submitted_responses(survey_round):
        value = response.values().get(stage_question.id)
        if value in STAGE_LABELS and response.county is not None:
            stages[response.county.name] = value
    return stages


def results_csv(results):
    """The aggregated results as CSV text (figures of small groups suppressed, no free text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "answer", "count", "percent"])
    for result in results.questions:
        prompt = result.question.prompt
        if result.suppressed:
            writer.writerow([prompt, "", SUPPRESSED, ""])
            continue
        for bar in result.bars:
            writer.writerow([prompt, bar.label, bar.count, f"{bar.percent:.1f}"])
        if result.mean is not None:
            writer.writerow([prompt, "mean", f"{result.mean:.2f}", ""])
            writer.writerow([prompt, "median", f"{result.median:g}", ""])
        if result.question.kind in TEXT_KINDS:
            writer.writerow([prompt, "text answers", result.answered, ""])
    return out.getvalue()
