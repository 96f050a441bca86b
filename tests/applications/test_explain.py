"""The pages' Chinese explanation of a self-assessment: the engine's, from its facts.

The wording of every fact, in both languages and under both rule sets, is tested with the
engine (tests/rules/test_facts.py); here: the web picks the Breakdown of an Assessment, never
reads the English back, and names indicators from the rule set.
"""

from __future__ import annotations

from jifen.applications import display, explain
from jifen.applications.selectors import Assessment
from jifen.rules import INDICATORS, load_rule_set, score, to_result, validate_profile
from jifen.rules.render_zh import explanation_zh
from tests.rules.profiles import minimal, person, spec_example


def _assessment(profile: dict) -> Assessment:
    breakdown = score(validate_profile(profile))
    return Assessment(to_result(breakdown), breakdown=breakdown)


def test_the_explanation_is_the_engines_chinese_of_its_facts() -> None:
    assessment = _assessment(spec_example())
    entries = display.explanation_of(assessment)
    assert entries == explanation_zh(assessment.breakdown)
    assert [e["indicator"] for e in entries] == list(INDICATORS)
    housing = entries[1]
    assert housing == {
        "indicator": "housing",
        "name": "合法稳定住所",
        "points": 15.92,
        "basis": "自有产权住房 144 个月 × 1/12 = 12.00 分；租赁住房 94 个月 × 1/24 = 3.92 分",
        "basis_en": "owned 144 months × 1/12 = 12.00; rented 94 months × 1/24 = 3.92",
        "reference": "京政办发〔2020〕9号",
    }
    # The points and the English are the result's own.
    for entry, item in zip(entries, assessment.result["explanation"], strict=True):
        assert (entry["points"], entry["basis_en"]) == (item["points"], item["basis"])


def test_the_chinese_does_not_depend_on_the_english() -> None:
    """Nothing parses the result's English: changing it changes nothing on the page."""
    assessment = _assessment(spec_example())
    before = display.explanation_of(assessment)
    for item in assessment.result["explanation"]:
        item["basis"] = "something the engine never wrote"
    assessment.result["reasons"] = ["nor this"]
    assert display.explanation_of(assessment) == before
    assert display.reasons_of(assessment) == []


def test_the_reasons_in_chinese() -> None:
    profile = minimal(2026, person=person("1970-01-01", "F", female_cadre=True,
                                          residence_permit=False))  # fmt: skip
    assessment = _assessment(profile)
    assert display.reasons_of(assessment) == [
        "未持有有效的北京市居住证",
        "2025-01-01 年龄 55 周岁，已达到法定退休年龄（女干部 55 周岁）",
    ]


def test_no_score_no_explanation() -> None:
    empty = Assessment(None)
    assert display.explanation_of(empty) == []
    assert display.reasons_of(empty) == []
    assert explain.explain_zh(None) == []


def test_indicator_names_come_from_the_rule_set() -> None:
    rules = load_rule_set("beijing-2016")
    assert display.indicator_name("age") == "年龄"
    assert display.indicator_name("study_deduction", rules) == rules.indicator_names[
        "study_deduction"
    ]
    assert display.indicator_name("bonus") == "bonus"


def test_the_web_keeps_no_table_or_pattern_of_its_own() -> None:
    for name in ("INDICATOR_NAMES", "PATTERNS", "match_basis", "basis_zh", "reason_zh"):
        assert not hasattr(explain, name), name
    assert not hasattr(display, "DISTRICT_ORDER")
