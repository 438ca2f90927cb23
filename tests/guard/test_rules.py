"""The confidentiality guard's rules against the labelled corpus and the disguises people use.

The precision/recall table per kind is printed in the terminal summary of every run that collects
this file (tests/support/summary.py prints it after the run).
"""
import pytest

from community import guard
from tests.support import summary

from .corpus import NEGATIVES, POSITIVES


def _measure():
    """{kind: (true positives, false positives, false negatives)} over the whole corpus."""
    counts = {kind: [0, 0, 0] for kind in guard.KINDS}
    examples = [(text, {kind}) for text, kind in POSITIVES] + [(text, set()) for text in NEGATIVES]
    for text, expected in examples:
        found = guard.kinds(text)
        for kind in guard.KINDS:
            if kind in found and kind in expected:
                counts[kind][0] += 1
            elif kind in found:
                counts[kind][1] += 1
            elif kind in expected:
                counts[kind][2] += 1
    return counts


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 1.0


def test_the_corpus_has_at_least_300_examples_half_of_them_realistic_negatives():
    assert len(POSITIVES) + len(NEGATIVES) >= 300
    assert len(NEGATIVES) >= 150 and len(POSITIVES) >= 150
    assert {kind for _, kind in POSITIVES} == set(guard.KINDS)


def test_guard_precision_and_recall_per_kind_on_the_corpus():
    counts = _measure()
    lines = [f"{len(POSITIVES)} client-like texts, {len(NEGATIVES)} realistic look-alikes "
             "(tests/guard/corpus.py)",
             f"{'kind':<15}{'examples':>9}{'precision':>11}{'recall':>8}"]
    totals = [0, 0, 0]
    for kind in guard.KINDS:
        true, false, missed = counts[kind]
        totals = [a + b for a, b in zip(totals, counts[kind], strict=True)]
        lines.append(f"{kind:<15}{true + missed:>9}{_ratio(true, true + false):>11.3f}"
                     f"{_ratio(true, true + missed):>8.3f}")
    precision = _ratio(totals[0], totals[0] + totals[1])
    recall = _ratio(totals[0], totals[0] + totals[2])
    lines.append(f"{'all':<15}{totals[0] + totals[2]:>9}{precision:>11.3f}{recall:>8.3f}")
    for text, kind in POSITIVES:
        if kind not in guard.kinds(text):
            lines.append(f"  missed {kind}: {text!r}")
    for text in NEGATIVES:
        if guard.kinds(text):
            lines.append(f"  false alarm {sorted(guard.kinds(text))}: {text!r}")
    summary.replace("confidentiality guard: precision and recall per kind", lines)
    print("\n" + "\n".join(lines))
    assert recall >= 0.98 and precision >= 0.95
    true, _, missed = counts["ssn"]
    assert _ratio(true, true + missed) == 1.0


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
    assert finding.label == "a case, client or referral number"


@pytest.mark.parametrize("text, typed", [
    ("See 545&#8211;12&#8211;7789 here", "545&#8211;12&#8211;7789"),
    ("Bold **545**-12-7789 too", "545**-12-7789"),
    ("Escaped 545\\-12\\-7789 here", "545\\-12\\-7789"),
    ("Dashes 545\u201312\u20147789 here", "545\u201312\u20147789"),
])
def test_a_disguised_number_is_reported_as_the_author_typed_it(text, typed):
    (finding,) = guard.check(text)
    assert finding.kind == "ssn" and finding.text == typed
    assert text[finding.start:finding.end] == typed


@pytest.mark.parametrize("text", ["Client SSN 545/12/7789 on the form", "SSN 545,12,7789", "id 545 / 12 / 7789"])
def test_a_number_written_with_slashes_or_commas_is_an_ssn_too(text):
    assert "ssn" in guard.kinds(text)


@pytest.mark.parametrize("text", ["000-12-3456 is not valid", "666-12-3456 never issued",
                                  "987-65-4321 is an ITIN range"])
def test_impossible_social_security_numbers_are_not_reported_as_ssns(text):
    assert "ssn" not in guard.kinds(text)


def test_screen_names_the_field_and_refuses_an_ssn_even_when_confirmed():
    with pytest.raises(guard.GuardStopped) as stopped:
        guard.screen({"title": "Help with 545-12-7789", "body": "Thanks"}, confirmed=True)
    assert stopped.value.blocking
    assert [(f.field, f.kind) for f in stopped.value.findings] == [("title", "ssn")]


def test_screen_stops_a_case_number_until_the_author_confirms():
    fields = {"summary": "Case 4471-98 template", "tags": ["mou", "roi"]}
    with pytest.raises(guard.GuardStopped) as stopped:
        guard.screen(fields)
    assert not stopped.value.blocking
    assert [f.kind for f in guard.screen(fields, confirmed=True)] == ["case_number"]
    assert guard.screen({"summary": "The MOU template, signed 6/30/2023"}) == []


def test_without_findings_takes_flagged_numbers_out():
    assert "00123" not in guard.without_findings("CWS case 2023 00123 needs help")
    assert guard.without_findings("Co-location in 2024") == "Co-location in 2024"
