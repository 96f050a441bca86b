"""The Chinese explanation of a score: every format the engine writes, translated in full.

The profiles below are scored by the real engine under both rule sets and chosen so that,
together, they produce every basis and reason format (checked: every pattern of the
translation matches at least one of their strings). Each translation must keep every number
of the English and contain no English word.
"""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jifen.applications.declaration import INNOVATION_LABELS
from jifen.applications.explain import (
    INDICATOR_NAMES,
    PATTERNS,
    basis_zh,
    explain_zh,
    match_basis,
    reason_zh,
    reasons_zh,
)
from jifen.rules import INDICATORS, load_rule_set, score_profile
from tests.oracle.random_profiles import random_profile
from tests.rules.profiles import minimal, person, spec_example

LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Dotted item codes (equity.financing.40m) become labels: their digits are not numbers.
CODE = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+")


def _numbers(text: str) -> Counter[str]:
    return Counter(NUMBER.findall(CODE.sub("", text)))


def assert_translated(english: str, chinese: str) -> None:
    """No English left, and every number of the English kept (as often as it occurs)."""
    assert chinese != english, english
    assert not LATIN.search(chinese), (english, chinese)
    missing = _numbers(english) - _numbers(chinese)
    assert not missing, (english, chinese, missing)


def insured(first: str, last: str, back_paid: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"from": first, "to": last, "back_paid": back_paid or []}]


def home(kind: str, first: str, last: str, district: str = "通州区") -> dict[str, str]:
    return {"kind": kind, "from": first, "to": last, "district": district}


def study(
    level: str | None, degree: str | None, first: str, last: str, full_time: bool = True
) -> dict[str, Any]:
    return {"level": level, "degree": degree, "full_time": full_time, "from": first, "to": last}


# Under beijing-2020 (application years 2020 on) and beijing-2016 (2018, 2019).
PROFILES: dict[str, dict[str, Any]] = {
    "spec example": spec_example(),
    "back-paid months": minimal(
        2026, social_insurance=insured("1998-07", "2025-12", ["2010-03", "2010-04"])
    ),
    "housing capped, half up": minimal(2021, housing=[home("owned", "2000-01", "2020-12")]),
    "housing capped, ceiling": minimal(
        2022,
        housing=[home("owned", "2000-01", "2008-12"), home("dormitory", "2009-01", "2021-12")],
        education=[study("junior_college", None, "2003-09", "2006-06")],
    ),
    "nothing declared": minimal(2026),
    "part-time master, level only": minimal(
        2026, education=[study("master", None, "2012-09", "2015-06", full_time=False)]
    ),
    "doctor degree only, deduction reaches its cap": minimal(
        2026,
        housing=[
            home("rented", "2011-01", "2013-12", "海淀区"),
            home("owned", "2014-01", "2025-12", "海淀区"),
            home("dormitory", "2010-01", "2010-12"),
        ],
        education=[study(None, "doctor", "2012-09", "2016-06")],
    ),
    "mixed tiers": minimal(
        2026,
        education=[
            study("bachelor", "master", "2004-09", "2008-06"),
            study("junior_college", "bachelor", "2001-09", "2004-06", full_time=False),
        ],
    ),
    "tax, offences and detentions": minimal(
        2026,
        tax={"2023": 120000, "2024": 99999.99, "2021": 500000},
        violations=[
            {"kind": "tax_offence", "date": "2021-03-05"},
            {"kind": "administrative_detention", "date": "2022-01-01"},
            {"kind": "administrative_detention", "date": "2025-12-31"},
        ],
    ),
    "tax all years reached": minimal(
        2024, tax={"2021": 100000, "2022": 100000.0, "2023": 250000.5}
    ),
    "ineligible on every condition": minimal(
        2026,
        person=person("1960-03-01", "M", residence_permit=False, criminal_record=True),
        social_insurance=[
            {"from": "2010-01", "to": "2020-12", "back_paid": ["2019-01", "2019-02", "2019-03"]},
            {"from": "2022-01", "to": "2025-12", "back_paid": ["2023-01", "2023-02", "2023-03"]},
        ],
    ),
    "retired woman cadre": minimal(2026, person=person("1970-01-01", "F", female_cadre=True)),
    "retired woman worker": minimal(2026, person=person("1975-01-01", "F")),
    "age 47": minimal(2026, person=person("1977-06-01", "F", female_cadre=True)),
    # beijing-2016
    "2016: nothing declared": minimal(2019),
    "2016: rented outside the centre, average reached": minimal(
        2018,
        housing=[home("rented", "2012-01", "2017-12", "昌平区")],
        employment=[{"from": "2017-01", "to": "2017-06", "district": "昌平区"}],
        tax={"2015": 150000, "2016": 90000, "2017": 100000},
        education=[study("bachelor", "bachelor", "2006-09", "2010-06")],
    ),
    "2016: average below the threshold, capped housing": minimal(
        2019,
        housing=[home("owned", "1999-01", "2018-12", "朝阳区")],
        tax={"2016": 0, "2017": 99999.99, "2018": 100000},
        violations=[{"kind": "tax_offence", "date": "2018-12-31"}],
        person=person("1972-05-05", "M"),
    ),
    "2016: two years not declared": minimal(2019, tax={"2017": 200000}),
}
PROFILES.update(
    {f"innovation {code}": minimal(2026, innovation=[code]) for code in INNOVATION_LABELS}
)
PROFILES.update(
    {
        f"honour {code}": minimal(2026, honours=[code])
        for code in load_rule_set("beijing-2020").honour_codes
    }
)

RESULTS = {name: score_profile(copy.deepcopy(profile)) for name, profile in PROFILES.items()}


def _pattern_names(result: dict[str, Any]) -> set[str]:
    names = set()
    for item in result["explanation"]:
        found = match_basis(item["indicator"], item["basis"])
        assert found is not None, item
        names.update(name for name, _ in found)
    for reason in result["reasons"]:
        names.update(n for n, (_, regex, _) in PATTERNS.items() if regex.fullmatch(reason))
    return names


def test_the_profiles_produce_every_format_of_both_rule_sets() -> None:
    assert {r["rule_set"] for r in RESULTS.values()} == {"beijing-2016", "beijing-2020"}
    seen: set[str] = set()
    for result in RESULTS.values():
        seen |= _pattern_names(result)
    assert seen == set(PATTERNS)


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_basis_and_reason_is_translated_in_full(name: str) -> None:
    result = RESULTS[name]
    for item in result["explanation"]:
        assert_translated(item["basis"], basis_zh(item["indicator"], item["basis"]))
    chinese = reasons_zh(result)
    assert len(chinese) == len(result["reasons"])
    for english, translated in zip(result["reasons"], chinese, strict=True):
        assert_translated(english, translated)


def test_explain_zh_gives_one_entry_per_indicator_and_leaves_the_result_alone() -> None:
    result = RESULTS["spec example"]
    before = copy.deepcopy(result)
    entries = explain_zh(result)
    assert result == before
    assert [e["indicator"] for e in entries] == list(INDICATORS)
    assert set(INDICATOR_NAMES) == set(INDICATORS)
    for entry, item in zip(entries, result["explanation"], strict=True):
        assert entry["name"] == INDICATOR_NAMES[item["indicator"]]
        assert entry["points"] == item["points"]
        assert entry["basis_en"] == item["basis"]
        assert entry["basis"] == basis_zh(item["indicator"], item["basis"])
        assert entry["reference"] == item["reference"]
    assert entries[1]["basis"] == (
        "自有产权住房 144 个月 × 1/12 = 12.00 分；租赁住房 94 个月 × 1/24 = 3.92 分"
    )


def _basis(name: str, indicator: str) -> tuple[str, str]:
    item = next(i for i in RESULTS[name]["explanation"] if i["indicator"] == indicator)
    return item["basis"], basis_zh(indicator, item["basis"])


@pytest.mark.parametrize(
    ("name", "indicator", "english", "chinese"),
    [
        (
            "back-paid months",
            "employment",
            "328 months × 0.25; 2 back-paid months earn nothing (1998-07..2025-12)",
            "统计期 1998-07 至 2025-12 内共 328 个缴费月 × 0.25 分；补缴 2 个月不计分",
        ),
        (
            "housing capped, ceiling",
            "housing",
            "owned 108 months × 1/12 = 9.00; dormitory 156 months × 1/24 = 6.50;"
            " capped at 144 insured months × 1/12 = 12.00 (ceiling)",
            "自有产权住房 108 个月 × 1/12 = 9.00 分；单位宿舍 156 个月 × 1/24 = 6.50 分；"
            "上限为社会保险缴费 144 个月 × 1/12 = 12.00 分（向上取整），按上限计分",
        ),
        (
            "part-time master, level only",
            "education",
            "level master, degree none (2012-09..2015-06, part-time): 15",
            "学历 研究生（硕士），学位 无（2012-09 至 2015-06，非全日制）：15 分",
        ),
        (
            "part-time master, level only",
            "study_deduction",
            "part-time study: nothing deducted",
            "非全日制学习，不扣减",
        ),
        (
            "doctor degree only, deduction reaches its cap",
            "study_deduction",
            "study 2012-09..2016-06: 46 insured months × 0.25 + owned 30 months × 1/12"
            " + rented 16 months × 1/24 ≥ cap 10.50",
            "学习期间 2012-09 至 2016-06：社会保险缴费 46 个月 × 0.25 + 自有产权住房 30 个月"
            " × 1/12 + 租赁住房 16 个月 × 1/24 ≥ 扣减上限 10.50 分，按上限扣减",
        ),
        (
            "spec example",
            "area",
            "home and job outside the six central districts 48 months → 4 full years × 3 = 12;"
            " home only 0 months → 0 full years × 2 = 0; at most 12 (2018-01..2021-12)",
            "住所和就业地均在城六区以外 48 个月 → 满 4 年 × 3 = 12 分；"
            "仅住所在城六区以外 0 个月 → 满 0 年 × 2 = 0 分；最高 12 分（2018-01 至 2021-12）",
        ),
        (
            "nothing declared",
            "area",
            "no owned home outside the six central districts in the cut-off month 2025-12",
            "统计截止月 2025-12 在城六区以外无自有产权住房",
        ),
        (
            "2016: nothing declared",
            "area",
            "no owned/rented/dormitory home outside the six central districts"
            " in the cut-off month 2018-12",
            "统计截止月 2018-12 在城六区以外无自有产权住房/租赁住房/单位宿舍",
        ),
        (
            "innovation contest.municipal.third",
            "innovation",
            "contest.municipal.third: 4",
            "北京市创新创业大赛三等奖：4 分",
        ),
        (
            "tax, offences and detentions",
            "tax",
            "2023: 120000 ≥ 100000; 2024: 99999.99; 2025: missing; 1 × 2;"
            " 1 tax offences in 2021-01-01..2025-12-31 × -12",
            "2023 年度个人所得税 120000 元 ≥ 100000 元；2024 年度个人所得税 99999.99 元，未达标准；"
            "2025 年度未申报个人所得税；达标 1 个年度 × 2 分；"
            "2021-01-01 至 2025-12-31 涉税违法 1 次 × -12 分",
        ),
        (
            "tax, offences and detentions",
            "law",
            "2 administrative detentions in 2021-01-01..2025-12-31 × -30",
            "2021-01-01 至 2025-12-31 行政拘留 2 次 × -30 分",
        ),
        (
            "2016: rented outside the centre, average reached",
            "tax",
            "average of 2015..2017 113333.33 ≥ 100000",
            "2015 至 2017 年度个人所得税年均 113333.33 元 ≥ 100000 元",
        ),
        (
            "2016: two years not declared",
            "tax",
            "not declared for 2016, 2018",
            "2016、2018 年度未申报个人所得税",
        ),
        ("age 47", "age", "age 47 on 2025-01-01: 12", "2025-01-01 年龄 47 周岁：12 分"),
        (
            "honour model_worker",
            "honours",
            "model_worker: 20 (not cumulative)",
            "省部级以上劳动模范：20 分（不累计）",
        ),
        ("nothing declared", "honours", "no honour", "无荣誉表彰"),
        ("nothing declared", "innovation", "no innovation item", "无创新创业项目"),
        (
            "nothing declared",
            "education",
            "no qualifying education record",
            "无可计分的学历（学位）",
        ),
    ],
)
def test_exact_translations(name: str, indicator: str, english: str, chinese: str) -> None:
    assert _basis(name, indicator) == (english, chinese)


def test_exact_reasons() -> None:
    result = RESULTS["ineligible on every condition"]
    assert result["eligible"] is False
    assert reasons_zh(result) == [
        "未持有有效的北京市居住证",
        "2025-01-01 年龄 64 周岁，已达到法定退休年龄（男职工 60 周岁）",
        "2019-01 至 2025-12 连续 84 个月社会保险缴纳不连续：12 个月未缴纳（最早 2021-01）",
        "连续缴纳期间 2019-01 至 2025-12 补缴 6 个月（最多 5 个月）",
        "有刑事犯罪记录",
    ]
    assert reasons_zh(RESULTS["retired woman cadre"]) == [
        "2025-01-01 年龄 55 周岁，已达到法定退休年龄（女干部 55 周岁）"
    ]
    assert reasons_zh(RESULTS["retired woman worker"]) == [
        "2025-01-01 年龄 50 周岁，已达到法定退休年龄（女工人 50 周岁）"
    ]
    assert reasons_zh(RESULTS["nothing declared"]) == []


@pytest.mark.parametrize(
    ("indicator", "basis"),
    [
        ("employment", "something the engine never wrote"),
        ("employment", ""),
        ("no_such_indicator", "282 months × 0.25"),
        ("innovation", "contest.galactic.first: 4"),  # a code without a Chinese label
        ("honours", "astronaut: 20 (not cumulative)"),
        ("housing", "owned 144 months × 1/12 = 12.00; villa 3 months × 1/6 = 0.50"),
        ("housing", "castle 3 months × 1/6 = 0.50"),
        ("area", "no castle home outside the six central districts in the cut-off month 2025-12"),
        ("study_deduction", "study 2012-09..2016-06: 3 lunar months × 0.25 ≥ cap 10.50"),
        ("education", "level kindergarten, degree none (2012-09..2015-06, full-time): 15"),
        ("tax", "2023: 120000 ≥ 100000; something new"),
    ],
)
def test_unknown_text_is_returned_unchanged(indicator: str, basis: str) -> None:
    assert basis_zh(indicator, basis) == basis


def test_unknown_reasons_and_odd_inputs_are_returned_unchanged() -> None:
    assert reason_zh("a reason from a newer engine") == "a reason from a newer engine"
    mixed = {"reasons": ["x", "criminal record (刑事犯罪记录)"]}
    assert reasons_zh(mixed) == ["x", "有刑事犯罪记录"]
    assert reasons_zh({}) == []
    assert basis_zh("employment", None) is None  # type: ignore[arg-type]
    assert explain_zh({}) == []
    entry = explain_zh({"explanation": [{"indicator": "bonus", "points": 1, "basis": "b"}]})[0]
    assert entry == {
        "indicator": "bonus",
        "name": "bonus",
        "points": 1,
        "basis": "b",
        "basis_en": "b",
        "reference": "",
    }


def test_the_span_less_employment_format_of_the_spec_is_read_too() -> None:
    assert basis_zh("employment", "282 months × 0.25") == "共 282 个缴费月 × 0.25 分"


def _check_result(result: dict[str, Any]) -> None:
    for entry in explain_zh(result):
        assert_translated(entry["basis_en"], entry["basis"])
    for english, chinese in zip(result["reasons"], reasons_zh(result), strict=True):
        assert_translated(english, chinese)


def test_random_profiles_translate_in_full() -> None:
    rng = random.Random(20260101)
    for _ in range(400):
        _check_result(score_profile(random_profile(rng)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False).map(random_profile))
def test_hypothesis_profiles_translate_in_full(profile: dict[str, Any]) -> None:
    _check_result(score_profile(profile))
