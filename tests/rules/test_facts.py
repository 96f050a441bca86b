"""The facts behind a score, and the English and Chinese written from them.

The profiles below are scored by the real engine under both rule sets and chosen so that,
together, they produce every kind of fact and every variant of its wording (checked below).
The English is the result format's, byte for byte as before the facts existed; the Chinese
keeps every number of the English and holds no Latin letter.
"""

from __future__ import annotations

import copy
import random
import re
from collections import Counter
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jifen.rules import INDICATORS, load_rule_set, score, validate_profile
from jifen.rules import scoring as scoring_module
from jifen.rules.facts import BASIS_KINDS, POINTS, RATES, REASON_KINDS, SHORT_POINTS
from jifen.rules.render_en import basis_en, reason_en
from jifen.rules.render_zh import basis_zh, explanation_zh, reason_zh, reasons_zh
from jifen.rules.ruleset import _read, compile_rule_set
from jifen.rules.scoring import Breakdown, to_result
from tests.oracle.random_profiles import random_profile

from .profiles import minimal, person, spec_example

RULES_2020 = load_rule_set("beijing-2020")


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
    "2016: two years not declared": minimal(
        2019, tax={"2017": 200000}, violations=[{"kind": "tax_offence", "date": "2017-02-02"}]
    ),
}
PROFILES.update(
    {f"innovation {code}": minimal(2026, innovation=[code]) for code in RULES_2020.innovation_items}
)
PROFILES.update(
    {f"honour {code}": minimal(2026, honours=[code]) for code in RULES_2020.honour_codes}
)
PROFILES.update(
    {
        f"level {level}": minimal(2026, education=[study(level, None, "2000-09", "2004-06")])
        for level in RULES_2020.level_names
    }
)
PROFILES.update(
    {
        f"degree {degree}": minimal(2026, education=[study(None, degree, "2000-09", "2004-06")])
        for degree in RULES_2020.degree_names
    }
)

class _Breakdowns(dict):  # type: ignore[type-arg]
    """Each profile scored when first asked for, not at import: mutation testing forks its
    test runs from a process that has imported (collected) this module, and a score made
    there would not be the mutated code's."""

    def __missing__(self, name: str) -> Breakdown:
        b = self[name] = score(validate_profile(copy.deepcopy(PROFILES[name])))
        return b

    def all(self) -> list[Breakdown]:
        return [self[name] for name in PROFILES]


BREAKDOWNS = _Breakdowns()


def _variants(b: Breakdown) -> set[str]:
    """The kinds of fact of ``b`` and the optional parts their wording has."""
    seen = {f["kind"] for f in b.facts.values()} | {f["kind"] for f in b.reason_facts}
    f = b.facts
    seen.add("employment+back_paid" if f["employment"]["back_paid"] else "employment")
    housing = f["housing"]
    if housing["kind"] == "housing":
        seen.add("housing+homes" if housing["homes"] else "housing-no-homes")
        seen |= {f"housing+{h[0]}" for h in housing["homes"]}
        if housing["cap"] is not None:
            seen.add(f"housing+cap+{housing['cap']['rounding']}")
    if f["study_deduction"]["kind"] == "study_deduction":
        seen.add("study+capped" if f["study_deduction"]["capped"] else "study+computed")
        seen |= {f"study+{h[0]}" for h in f["study_deduction"]["homes"]}
    tax = f["tax"]
    if tax["offences"] is not None:
        seen.add(f"{tax['kind']}+offences")
    if tax["kind"] == "tax.per_year":
        for _year, amount, reached in tax["years"]:
            seen.add("year+missing" if amount is None else f"year+reached={reached}")
    if tax["kind"] == "tax.average":
        seen.add(f"average+reached={tax['reached']}")
    if f["law"]["count"]:
        seen.add("law+detentions")
    for reason in b.reason_facts:
        if reason["kind"] == "eligibility.retirement":
            seen.add(f"retirement+{reason['group']}")
    return seen


def test_the_profiles_produce_every_kind_and_variant_of_both_rule_sets() -> None:
    assert {b.rule_set.id for b in BREAKDOWNS.all()} == {"beijing-2016", "beijing-2020"}
    seen: set[str] = set()
    for b in BREAKDOWNS.all():
        seen |= _variants(b)
    assert set(BASIS_KINDS) <= seen
    assert set(REASON_KINDS) <= seen
    assert seen >= {
        "employment", "employment+back_paid", "housing-no-homes", "housing+homes",
        "housing+owned", "housing+rented", "housing+dormitory", "housing+cap+half_up",
        "housing+cap+ceiling", "study+capped", "study+computed", "study+owned", "study+rented",
        "tax.per_year+offences", "tax.average+offences", "tax.not_declared+offences",
        "year+missing", "year+reached=True", "year+reached=False", "average+reached=True",
        "average+reached=False", "law+detentions", "retirement+M", "retirement+F",
        "retirement+F_cadre",
    }  # fmt: skip


def test_facts_are_plain_json_and_render_the_same_after_a_round_trip() -> None:
    for name, b in zip(PROFILES, BREAKDOWNS.all(), strict=True):
        again = orjson.loads(orjson.dumps({"facts": b.facts, "reasons": b.reason_facts}))
        for code in INDICATORS:
            assert basis_en(again["facts"][code]) == b.basis[code], name
            assert basis_zh(again["facts"][code], b.rule_set) == basis_zh(
                b.facts[code], b.rule_set
            ), name
        assert [reason_en(f) for f in again["reasons"]] == b.reasons, name
        assert [reason_zh(f, b.rule_set) for f in again["reasons"]] == reasons_zh(b), name


def test_a_threshold_with_a_fraction_is_still_plain_json() -> None:
    data = _read("beijing-2020")
    data["indicators"]["tax"]["threshold_yuan"] = "99999.5"
    profile = validate_profile(minimal(2022, tax={"2021": 99999.5}))
    profile.rule_set = compile_rule_set(data)
    fact = score(profile).facts["tax"]
    assert fact["threshold"] == "199999/2"
    assert orjson.loads(orjson.dumps(fact))["threshold"] == "199999/2"
    assert basis_en(fact) == "2019: missing; 2020: missing; 2021: 99999.5 ≥ 199999/2; 1 × 2"


def test_the_spec_example_facts() -> None:
    b = BREAKDOWNS["spec example"]
    assert b.facts["employment"] == {
        "kind": "employment",
        "months": 282,
        "rate": "1/4",
        "back_paid": 0,
        "window": ("1998-07", "2021-12"),
    }
    assert b.facts["housing"] == {
        "kind": "housing",
        "homes": [("owned", 144, "1/12", 1200), ("rented", 94, "1/24", 392)],
        "cap": None,
    }
    assert b.facts["education"] == {
        "kind": "education",
        "level": "bachelor",
        "degree": "bachelor",
        "full_time": True,
        "study": ("1994-09", "1998-06"),
        "cents": 1500,
    }
    # Study 1994-09..1998-06 lies before 1998-07: nothing counted, nothing deducted.
    assert b.facts["study_deduction"] == {
        "kind": "study_deduction",
        "study": ("1994-09", "1998-06"),
        "insured_months": 0,
        "rate": "1/4",
        "homes": [],
        "cap_cents": 1400,
        "capped": False,
        "cents": 0,
    }
    assert b.facts["area"] == {
        "kind": "area",
        "both_months": 48,
        "both_years": 4,
        "both_per_year_cents": 300,
        "both_cents": 1200,
        "home_months": 0,
        "home_years": 0,
        "home_per_year_cents": 200,
        "home_cents": 0,
        "cap_cents": 1200,
        "window": ("2018-01", "2021-12"),
    }
    assert b.facts["tax"] == {
        "kind": "tax.per_year",
        "years": [(2019, 0, False), (2020, 0, False), (2021, 0, False)],
        "threshold": 100000,
        "qualifying": 0,
        "per_year_cents": 200,
        "offences": None,
    }
    assert b.facts["age"] == {"kind": "age", "age": 44, "on": "2021-01-01", "cents": 2000}
    assert b.facts["innovation"] == {"kind": "innovation.none"}
    assert b.facts["honours"] == {"kind": "honours.none"}
    assert b.facts["law"] == {
        "kind": "law",
        "count": 0,
        "window": ("2017-01-01", "2021-12-31"),
        "each_cents": -3000,
    }
    assert b.reason_facts == []


def test_the_facts_of_an_ineligible_applicant() -> None:
    b = BREAKDOWNS["ineligible on every condition"]
    # Born 1960-03-01: 64 on 2025-01-01; insured 2010-01..2020-12 and 2022-01..2025-12, so the
    # 84 months 2019-01..2025-12 miss the 12 months of 2021; back-paid: 2019-01..03 and
    # 2023-01..03, 6 months, more than 5.
    assert b.reason_facts == [
        {"kind": "eligibility.residence_permit"},
        {
            "kind": "eligibility.retirement",
            "age": 64,
            "on": "2025-01-01",
            "limit": 60,
            "group": "M",
        },
        {
            "kind": "eligibility.continuity",
            "months": 84,
            "window": ("2019-01", "2025-12"),
            "not_covered": 12,
            "first_gap": "2021-01",
        },
        {
            "kind": "eligibility.back_paid",
            "back_paid": 6,
            "window": ("2019-01", "2025-12"),
            "max": 5,
        },
        {"kind": "eligibility.criminal_record"},
    ]
    assert b.eligible is False


def test_the_2016_tax_facts() -> None:
    reached = BREAKDOWNS["2016: rented outside the centre, average reached"].facts["tax"]
    # (150000 + 90000 + 100000) / 3 = 113333.33...
    assert reached == {
        "kind": "tax.average",
        "years": (2015, 2017),
        "average": 113333.33,
        "threshold": 100000,
        "reached": True,
        "offences": None,
    }
    missing = BREAKDOWNS["2016: two years not declared"].facts["tax"]
    assert missing == {
        "kind": "tax.not_declared",
        "missing": [2016, 2018],
        "offences": {"count": 1, "window": ("2014-01-01", "2018-12-31"), "each_cents": -1200},
    }


# ---------------------------------------------------------------- the English, exactly


@pytest.mark.parametrize(
    ("name", "indicator", "english"),
    [
        ("spec example", "employment", "282 months × 0.25 (1998-07..2021-12)"),
        (
            "spec example",
            "housing",
            "owned 144 months × 1/12 = 12.00; rented 94 months × 1/24 = 3.92",
        ),
        (
            "back-paid months",
            "employment",
            "328 months × 0.25; 2 back-paid months earn nothing (1998-07..2025-12)",
        ),
        ("nothing declared", "housing", "no housing months"),
        (
            "housing capped, half up",
            "housing",
            # 2010-01..2020-12 insured = 132 months; owned 2000-01..2020-12 from 1998-07 on:
            # 252 months × 1/12 = 21.00 > the cap 132 × 1/12 = 11.00.
            "owned 252 months × 1/12 = 21.00; capped at 132 insured months × 1/12 = 11.00"
            " (half up)",
        ),
        (
            "housing capped, ceiling",
            "housing",
            "owned 108 months × 1/12 = 9.00; dormitory 156 months × 1/24 = 6.50;"
            " capped at 144 insured months × 1/12 = 12.00 (ceiling)",
        ),
        (
            "part-time master, level only",
            "education",
            "level master, degree none (2012-09..2015-06, part-time): 15",
        ),
        (
            "doctor degree only, deduction reaches its cap",
            "study_deduction",
            "study 2012-09..2016-06: 46 insured months × 0.25 + owned 30 months × 1/12"
            " + rented 16 months × 1/24 ≥ cap 10.50",
        ),
        (
            "housing capped, ceiling",
            "study_deduction",
            # 2003-09..2006-06 = 34 months, none insured (from 2010); owned 34 × 1/12 = 2.83.
            "study 2003-09..2006-06: 0 insured months × 0.25 + owned 34 months × 1/12"
            " = 2.83 (cap 10.50)",
        ),
        (
            "nothing declared",
            "area",
            "no owned home outside the six central districts in the cut-off month 2025-12",
        ),
        (
            "2016: nothing declared",
            "area",
            "no owned/rented/dormitory home outside the six central districts"
            " in the cut-off month 2018-12",
        ),
        (
            "tax, offences and detentions",
            "tax",
            "2023: 120000 ≥ 100000; 2024: 99999.99; 2025: missing; 1 × 2;"
            " 1 tax offences in 2021-01-01..2025-12-31 × -12",
        ),
        (
            "tax, offences and detentions",
            "law",
            "2 administrative detentions in 2021-01-01..2025-12-31 × -30",
        ),
        (
            "2016: average below the threshold, capped housing",
            "tax",
            "average of 2016..2018 66666.66 < 100000; 1 tax offences in 2014-01-01..2018-12-31"
            " × -12",
        ),
        ("innovation equity.financing.40m", "innovation", "equity.financing.40m: 6"),
        ("honour moral_model", "honours", "moral_model: 20 (not cumulative)"),
        ("age 47", "age", "age 47 on 2025-01-01: 12"),
        (
            "degree doctor",
            "education",
            "level none, degree doctor (2000-09..2004-06, full-time): 26",
        ),
        (
            "2016: rented outside the centre, average reached",
            "tax",
            "average of 2015..2017 113333.33 ≥ 100000",
        ),
        (
            "2016: two years not declared",
            "tax",
            "not declared for 2016, 2018; 1 tax offences in 2014-01-01..2018-12-31 × -12",
        ),
    ],
)
def test_english_basis(name: str, indicator: str, english: str) -> None:
    b = BREAKDOWNS[name]
    assert b.basis[indicator] == english
    assert basis_en(b.facts[indicator]) == english


def test_english_reasons() -> None:
    assert BREAKDOWNS["ineligible on every condition"].reasons == [
        "no valid Beijing residence permit (居住证)",
        "age 64 on 2025-01-01 is not below the retirement age (60 for men)",
        "social insurance not continuous for the 84 months 2019-01..2025-12:"
        " 12 months not covered (first 2021-01)",
        "6 back-paid months in the continuity window 2019-01..2025-12 (at most 5)",
        "criminal record (刑事犯罪记录)",
    ]
    assert BREAKDOWNS["retired woman cadre"].reasons == [
        "age 55 on 2025-01-01 is not below the retirement age (55 for women cadres)"
    ]
    assert BREAKDOWNS["retired woman worker"].reasons == [
        "age 50 on 2025-01-01 is not below the retirement age (50 for women workers)"
    ]


# ---------------------------------------------------------------- the Chinese, exactly


@pytest.mark.parametrize(
    ("name", "indicator", "chinese"),
    [
        (
            "spec example",
            "housing",
            "自有产权住房 144 个月 × 1/12 = 12.00 分；租赁住房 94 个月 × 1/24 = 3.92 分",
        ),
        ("nothing declared", "housing", "无计分的住所月份"),
        (
            "back-paid months",
            "employment",
            "统计期 1998-07 至 2025-12 内共 328 个缴费月 × 0.25 分；补缴 2 个月不计分",
        ),
        (
            "housing capped, half up",
            "housing",
            "自有产权住房 252 个月 × 1/12 = 21.00 分；"
            "上限为社会保险缴费 132 个月 × 1/12 = 11.00 分（四舍五入），按上限计分",
        ),
        (
            "housing capped, ceiling",
            "housing",
            "自有产权住房 108 个月 × 1/12 = 9.00 分；单位宿舍 156 个月 × 1/24 = 6.50 分；"
            "上限为社会保险缴费 144 个月 × 1/12 = 12.00 分（向上取整），按上限计分",
        ),
        (
            "part-time master, level only",
            "education",
            "学历 研究生（硕士），学位 无（2012-09 至 2015-06，非全日制）：15 分",
        ),
        (
            "mixed tiers",
            "education",
            "学历 本科，学位 硕士（2004-09 至 2008-06，全日制）：15 分",
        ),
        (
            "part-time master, level only",
            "study_deduction",
            "非全日制学习，不扣减",
        ),
        ("nothing declared", "study_deduction", "教育背景未得分，不扣减"),
        (
            "doctor degree only, deduction reaches its cap",
            "study_deduction",
            "学习期间 2012-09 至 2016-06：社会保险缴费 46 个月 × 0.25 + 自有产权住房 30 个月"
            " × 1/12 + 租赁住房 16 个月 × 1/24 ≥ 扣减上限 10.50 分，按上限扣减",
        ),
        (
            "housing capped, ceiling",
            "study_deduction",
            "学习期间 2003-09 至 2006-06：社会保险缴费 0 个月 × 0.25 + 自有产权住房 34 个月"
            " × 1/12 = 2.83 分（扣减上限 10.50 分）",
        ),
        (
            "spec example",
            "area",
            "住所和就业地均在城六区以外 48 个月 → 满 4 年 × 3 = 12 分；"
            "仅住所在城六区以外 0 个月 → 满 0 年 × 2 = 0 分；最高 12 分（2018-01 至 2021-12）",
        ),
        (
            "nothing declared",
            "area",
            "统计截止月 2025-12 在城六区以外无自有产权住房",
        ),
        (
            "2016: nothing declared",
            "area",
            "统计截止月 2018-12 在城六区以外无自有产权住房/租赁住房/单位宿舍",
        ),
        (
            "innovation contest.municipal.third",
            "innovation",
            "北京市创新创业大赛三等奖：4 分",
        ),
        ("nothing declared", "innovation", "无创新创业项目"),
        (
            "tax, offences and detentions",
            "tax",
            "2023 年度个人所得税 120000 元 ≥ 100000 元；2024 年度个人所得税 99999.99 元，"
            "未达 100000 元；2025 年度未申报个人所得税；达标 1 个年度 × 2 分；"
            "2021-01-01 至 2025-12-31 涉税违法 1 次 × -12 分",
        ),
        (
            "tax, offences and detentions",
            "law",
            "2021-01-01 至 2025-12-31 行政拘留 2 次 × -30 分",
        ),
        ("nothing declared", "law", "2021-01-01 至 2025-12-31 行政拘留 0 次 × -30 分"),
        (
            "2016: rented outside the centre, average reached",
            "tax",
            "2015 至 2017 年度个人所得税年均 113333.33 元 ≥ 100000 元",
        ),
        (
            "2016: average below the threshold, capped housing",
            "tax",
            "2016 至 2018 年度个人所得税年均 66666.66 元 < 100000 元；"
            "2014-01-01 至 2018-12-31 涉税违法 1 次 × -12 分",
        ),
        (
            "2016: two years not declared",
            "tax",
            "2016、2018 年度未申报个人所得税；2014-01-01 至 2018-12-31 涉税违法 1 次 × -12 分",
        ),
        ("age 47", "age", "2025-01-01 年龄 47 周岁：12 分"),
        (
            "honour model_worker",
            "honours",
            "省部级以上劳动模范：20 分（不累计）",
        ),
        ("nothing declared", "honours", "无荣誉表彰"),
        ("nothing declared", "education", "无可计分的学历（学位）"),
    ],
)
def test_chinese_basis(name: str, indicator: str, chinese: str) -> None:
    b = BREAKDOWNS[name]
    assert basis_zh(b.facts[indicator], b.rule_set) == chinese


def test_chinese_reasons() -> None:
    assert reasons_zh(BREAKDOWNS["ineligible on every condition"]) == [
        "未持有有效的北京市居住证",
        "2025-01-01 年龄 64 周岁，已达到法定退休年龄（男职工 60 周岁）",
        "2019-01 至 2025-12 连续 84 个月社会保险缴纳不连续：12 个月未缴纳（最早 2021-01）",
        "连续缴纳期间 2019-01 至 2025-12 补缴 6 个月（最多 5 个月）",
        "有刑事犯罪记录",
    ]
    assert reasons_zh(BREAKDOWNS["retired woman cadre"]) == [
        "2025-01-01 年龄 55 周岁，已达到法定退休年龄（女干部 55 周岁）"
    ]
    assert reasons_zh(BREAKDOWNS["retired woman worker"]) == [
        "2025-01-01 年龄 50 周岁，已达到法定退休年龄（女工人 50 周岁）"
    ]
    assert reasons_zh(BREAKDOWNS["nothing declared"]) == []


def test_every_code_is_named_from_the_rule_set() -> None:
    for code, name in RULES_2020.innovation_names.items():
        b = BREAKDOWNS[f"innovation {code}"]
        points = SHORT_POINTS[RULES_2020.innovation_items[code]]
        assert basis_zh(b.facts["innovation"], b.rule_set) == f"{name}：{points} 分"
    for code, name in RULES_2020.honour_codes.items():
        b = BREAKDOWNS[f"honour {code}"]
        assert basis_zh(b.facts["honours"], b.rule_set) == f"{name}：20 分（不累计）"
    for level, name in RULES_2020.level_names.items():
        b = BREAKDOWNS[f"level {level}"]
        assert basis_zh(b.facts["education"], b.rule_set).startswith(f"学历 {name}，学位 无（")
    for degree, name in RULES_2020.degree_names.items():
        b = BREAKDOWNS[f"degree {degree}"]
        assert basis_zh(b.facts["education"], b.rule_set).startswith(f"学历 无，学位 {name}（")
    assert RULES_2020.housing_kind_names == {
        "owned": "自有产权住房",
        "rented": "租赁住房",
        "dormitory": "单位宿舍",
    }


def test_a_code_the_rule_set_does_not_name_is_shown_as_it_is() -> None:
    fact = {"kind": "innovation", "code": "award.galactic.first", "cents": 400}
    assert basis_zh(fact, RULES_2020) == "award.galactic.first：4 分"
    cap = {"insured_months": 12, "rate": "1/12", "cents": 100, "rounding": "floor"}
    housing = {"kind": "housing", "homes": [("villa", 3, "1/6", 50)], "cap": cap}
    assert basis_zh(housing, RULES_2020) == (
        "villa 3 个月 × 1/6 = 0.50 分；"
        "上限为社会保险缴费 12 个月 × 1/12 = 1.00 分（floor），按上限计分"
    )


def test_explanation_zh_gives_one_entry_per_indicator() -> None:
    b = BREAKDOWNS["spec example"]
    entries = explanation_zh(b)
    result = to_result(b)
    assert [e["indicator"] for e in entries] == list(INDICATORS)
    for entry, item in zip(entries, result["explanation"], strict=True):
        assert entry["name"] == RULES_2020.indicator_names[item["indicator"]]
        assert entry["points"] == item["points"]
        assert entry["basis_en"] == item["basis"]
        assert entry["basis"] == basis_zh(b.facts[item["indicator"]], b.rule_set)
        assert entry["reference"] == item["reference"]
    assert entries[1]["name"] == "合法稳定住所"
    assert entries[3]["points"] == 0.0 and entries[0]["points"] == 70.5


# ---------------------------------------------------------------- every number, no English

LATIN = re.compile(r"[A-Za-z]")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Dotted item codes (equity.financing.40m) become names: their digits are not numbers.
CODE = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+")


def _numbers(text: str) -> Counter[str]:
    return Counter(NUMBER.findall(CODE.sub("", text)))


def assert_translated(english: str, chinese: str) -> None:
    """No English left, and every number of the English kept (as often as it occurs)."""
    assert chinese != english, english
    assert not LATIN.search(chinese), (english, chinese)
    missing = _numbers(english) - _numbers(chinese)
    assert not missing, (english, chinese, missing)


def _check(b: Breakdown) -> None:
    for code in INDICATORS:
        assert b.basis[code] == basis_en(b.facts[code])
        assert_translated(b.basis[code], basis_zh(b.facts[code], b.rule_set))
    for english, fact in zip(b.reasons, b.reason_facts, strict=True):
        assert_translated(english, reason_zh(fact, b.rule_set))


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_basis_and_reason_is_translated_in_full(name: str) -> None:
    _check(BREAKDOWNS[name])


def test_random_profiles_translate_in_full() -> None:
    rng = random.Random(20260101)
    for _ in range(400):
        _check(score(validate_profile(random_profile(rng))))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False).map(random_profile))
def test_hypothesis_profiles_translate_in_full(profile: dict[str, Any]) -> None:
    _check(score(validate_profile(profile)))


# ---------------------------------------------------------------- the memo of facts


def test_memoised_facts_do_not_depend_on_the_order_of_scoring(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Facts are shared between profiles by a key of what they depend on: a key missing a
    value would hand one profile another's fact, depending on which was scored first."""
    rng = random.Random(5)
    profiles = [random_profile(rng) for _ in range(300)] + list(PROFILES.values())
    forward = [score(validate_profile(copy.deepcopy(p))) for p in profiles]
    monkeypatch.setattr(scoring_module, "_ROUNDS", {})  # forget every memo
    backward = [score(validate_profile(copy.deepcopy(p))) for p in reversed(profiles)]
    for a, b in zip(forward, reversed(backward), strict=True):
        assert (a.facts, a.basis, a.cents) == (b.facts, b.basis, b.cents)


# Pairs of profiles alike in all but one thing that one memoised fact depends on.
_STUDY = [study("bachelor", "bachelor", "2012-09", "2016-06")]
PAIRS = {
    "back-paid months": (  # 143 counted months either way
        minimal(2022, social_insurance=insured("2010-01", "2021-12", ["2015-01"])),
        minimal(2022, social_insurance=insured("2010-02", "2021-12")),
    ),
    "homes during study": (
        minimal(2022, education=_STUDY, housing=[home("owned", "2013-01", "2021-12")]),
        minimal(2022, education=_STUDY, housing=[home("owned", "2017-01", "2021-12")]),
    ),
    "points of the studied record": (  # the same study; its cap 14 (15 points) or 10.5 (26)
        minimal(2022, education=_STUDY),
        minimal(2022, education=[study("master", "master", "2012-09", "2016-06")]),
    ),
    "insured months during study": (
        minimal(2022, education=_STUDY),
        minimal(2022, education=_STUDY, social_insurance=insured("2014-01", "2021-12")),
    ),
    "kind of home during study": (
        minimal(2022, education=_STUDY, housing=[home("owned", "2013-01", "2013-12")]),
        minimal(2022, education=_STUDY, housing=[home("rented", "2013-01", "2013-12")]),
    ),
    "housing cap": (
        minimal(2022, housing=[home("owned", "2005-01", "2021-12")]),
        minimal(2022, housing=[home("owned", "2005-01", "2021-12")],
                social_insurance=insured("2008-01", "2021-12")),
    ),
    "capped by one insured month": (  # owned 204 months either way; capped at 1 month or not
        minimal(2022, housing=[home("owned", "2005-01", "2021-12")],
                social_insurance=insured("2021-12", "2021-12")),
        minimal(2022, housing=[home("owned", "2005-01", "2021-12")],
                social_insurance=insured("2005-01", "2021-12")),
    ),
    "home-only months": (  # 36 both-out months either way; 0 or 12 home-only
        minimal(2022, housing=[home("owned", "2019-01", "2021-12")],
                employment=[{"from": "2019-01", "to": "2021-12", "district": "通州区"}]),
        minimal(2022, housing=[home("owned", "2018-01", "2021-12")],
                employment=[{"from": "2019-01", "to": "2021-12", "district": "通州区"}]),
    ),
    "both-out months": (  # no home-only month either way; 48 or 36 both-out
        minimal(2022, housing=[home("owned", "2018-01", "2021-12")],
                employment=[{"from": "2018-01", "to": "2021-12", "district": "通州区"}]),
        minimal(2022, housing=[home("owned", "2019-01", "2021-12")],
                employment=[{"from": "2019-01", "to": "2021-12", "district": "通州区"}]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(PAIRS))
def test_each_fact_of_a_pair_is_its_own(name: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second = PAIRS[name]
    alone = []
    for profile in (first, second):
        monkeypatch.setattr(scoring_module, "_ROUNDS", {})  # nothing memoised yet
        alone.append(score(validate_profile(copy.deepcopy(profile))))
    assert alone[0].facts != alone[1].facts  # the pair does differ
    monkeypatch.setattr(scoring_module, "_ROUNDS", {})
    together = [score(validate_profile(copy.deepcopy(p))) for p in (first, second)]
    for a, b in zip(alone, together, strict=True):
        assert (a.facts, a.basis) == (b.facts, b.basis)


def test_the_memo_stays_small(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(scoring_module, "_ROUNDS", {})
    monkeypatch.setattr(scoring_module._Memo, "LIMIT", 3)
    for months in range(1, 10):
        insurance = insured("2021-01", f"2021-{months:02d}")
        b = score(validate_profile(minimal(2022, social_insurance=insurance)))
        assert b.basis["employment"] == f"{months} months × 0.25 (1998-07..2021-12)"
    memo = next(iter(scoring_module._ROUNDS.values())).memo["employment"]
    assert 1 <= len(memo) <= 3


def test_number_formats() -> None:
    assert (POINTS[1200], POINTS[-1021], POINTS[5], POINTS[0]) == (
        "12.00",
        "-10.21",
        "0.05",
        "0.00",
    )
    assert (SHORT_POINTS[1050], SHORT_POINTS[2000], SHORT_POINTS[392], SHORT_POINTS[-3000]) == (
        "10.5",
        "20",
        "3.92",
        "-30",
    )
    assert (RATES["1/4"], RATES["1/12"], RATES["1/24"], RATES["1/2"], RATES["3"]) == (
        "0.25",
        "1/12",
        "1/24",
        "0.5",
        "3",
    )
