"""The explanation of a score in Simplified Chinese, written from the facts (``facts``).

What the pages show: each indicator's basis and each eligibility reason, with every number,
month and date exactly as in the English of the result format, and the Chinese names of
indicators and codes from the rule set. Pure Python, like the rest of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .facts import POINTS, RATES, SHORT_POINTS, Fact
from .ruleset import INDICATORS, RuleSet
from .scoring import Breakdown

ROUNDING = {"half_up": "四舍五入", "ceiling": "向上取整"}
# The retirement-age groups of the rule set's ``retirement_age``.
RETIREMENT_GROUPS = {"M": "男职工", "F_cadre": "女干部", "F": "女工人"}


def _span(span: Any) -> str:
    first, last = span
    return f"{first} 至 {last}"


def _name(names: dict[str, str], code: str | None) -> str:
    """The Chinese name of a code; "无" for none; the code itself if the rule set lacks it."""
    if code is None:
        return "无"
    return names.get(code, code)


def _employment(f: Fact, rs: RuleSet) -> str:
    # The span is the counting window (from 1998-07), not the applicant's own first month:
    # said so, or it reads as if they had paid since then.
    text = f"统计期 {_span(f['window'])} 内共 {f['months']} 个缴费月 × {RATES[f['rate']]} 分"
    if f["back_paid"]:
        text += f"；补缴 {f['back_paid']} 个月不计分"
    return text


def _housing(f: Fact, rs: RuleSet) -> str:
    names = rs.housing_kind_names
    parts = [
        f"{_name(names, home)} {months} 个月 × {RATES[rate]} = {POINTS[cents]} 分"
        for home, months, rate, cents in f["homes"]
    ] or ["无计分的住所月份"]
    cap = f["cap"]
    if cap is not None:
        parts.append(
            f"上限为社会保险缴费 {cap['insured_months']} 个月 × {RATES[cap['rate']]}"
            f" = {POINTS[cap['cents']]} 分（{ROUNDING.get(cap['rounding'], cap['rounding'])}），"
            "按上限计分"
        )
    return "；".join(parts)


def _education(f: Fact, rs: RuleSet) -> str:
    return (
        f"学历 {_name(rs.level_names, f['level'])}，学位 {_name(rs.degree_names, f['degree'])}"
        f"（{_span(f['study'])}，{'全日制' if f['full_time'] else '非全日制'}）："
        f"{SHORT_POINTS[f['cents']]} 分"
    )


def _study_deduction(f: Fact, rs: RuleSet) -> str:
    names = rs.housing_kind_names
    terms = [f"社会保险缴费 {f['insured_months']} 个月 × {RATES[f['rate']]}"] + [
        f"{_name(names, home)} {months} 个月 × {RATES[rate]}" for home, months, rate in f["homes"]
    ]
    if f["capped"]:
        tail = f" ≥ 扣减上限 {POINTS[f['cap_cents']]} 分，按上限扣减"
    else:
        tail = f" = {POINTS[f['cents']]} 分（扣减上限 {POINTS[f['cap_cents']]} 分）"
    return f"学习期间 {_span(f['study'])}：" + " + ".join(terms) + tail


def _area_none(f: Fact, rs: RuleSet) -> str:
    kinds = "/".join(_name(rs.housing_kind_names, k) for k in f["home_kinds"])
    return f"统计截止月 {f['month']} 在城六区以外无{kinds}"


def _area(f: Fact, rs: RuleSet) -> str:
    return (
        f"住所和就业地均在城六区以外 {f['both_months']} 个月 → 满 {f['both_years']} 年"
        f" × {SHORT_POINTS[f['both_per_year_cents']]} = {SHORT_POINTS[f['both_cents']]} 分；"
        f"仅住所在城六区以外 {f['home_months']} 个月 → 满 {f['home_years']} 年"
        f" × {SHORT_POINTS[f['home_per_year_cents']]} = {SHORT_POINTS[f['home_cents']]} 分；"
        f"最高 {SHORT_POINTS[f['cap_cents']]} 分（{_span(f['window'])}）"
    )


def _offences(f: Fact) -> list[str]:
    o = f["offences"]
    if o is None:
        return []
    return [f"{_span(o['window'])} 涉税违法 {o['count']} 次 × {SHORT_POINTS[o['each_cents']]} 分"]


def _tax_per_year(f: Fact, rs: RuleSet) -> str:
    threshold = f["threshold"]
    parts = []
    for year, amount, reached in f["years"]:
        if amount is None:
            parts.append(f"{year} 年度未申报个人所得税")
        elif reached:
            parts.append(f"{year} 年度个人所得税 {amount} 元 ≥ {threshold} 元")
        else:
            parts.append(f"{year} 年度个人所得税 {amount} 元，未达 {threshold} 元")
    parts.append(f"达标 {f['qualifying']} 个年度 × {SHORT_POINTS[f['per_year_cents']]} 分")
    return "；".join(parts + _offences(f))


def _tax_average(f: Fact, rs: RuleSet) -> str:
    text = (
        f"{_span(f['years'])} 年度个人所得税年均 {f['average']:.2f} 元"
        f" {'≥' if f['reached'] else '<'} {f['threshold']} 元"
    )
    return "；".join([text, *_offences(f)])


def _tax_not_declared(f: Fact, rs: RuleSet) -> str:
    text = "、".join(str(y) for y in f["missing"]) + " 年度未申报个人所得税"
    return "；".join([text, *_offences(f)])


BASIS: dict[str, Callable[[Fact, RuleSet], str]] = {
    "employment": _employment,
    "housing": _housing,
    "education.none": lambda f, rs: "无可计分的学历（学位）",
    "education": _education,
    "study_deduction.none": lambda f, rs: "教育背景未得分，不扣减",
    "study_deduction.part_time": lambda f, rs: "非全日制学习，不扣减",
    "study_deduction": _study_deduction,
    "area.none": _area_none,
    "area": _area,
    "innovation.none": lambda f, rs: "无创新创业项目",
    "innovation": lambda f, rs: (
        f"{_name(rs.innovation_names, f['code'])}：{SHORT_POINTS[f['cents']]} 分"
    ),
    "tax.per_year": _tax_per_year,
    "tax.average": _tax_average,
    "tax.not_declared": _tax_not_declared,
    "age": lambda f, rs: f"{f['on']} 年龄 {f['age']} 周岁：{SHORT_POINTS[f['cents']]} 分",
    "honours.none": lambda f, rs: "无荣誉表彰",
    "honours": lambda f, rs: (
        f"{_name(rs.honour_codes, f['code'])}：{SHORT_POINTS[f['cents']]} 分（不累计）"
    ),
    "law": lambda f, rs: (
        f"{_span(f['window'])} 行政拘留 {f['count']} 次 × {SHORT_POINTS[f['each_cents']]} 分"
    ),
}

REASONS: dict[str, Callable[[Fact, RuleSet], str]] = {
    "eligibility.residence_permit": lambda f, rs: "未持有有效的北京市居住证",
    "eligibility.retirement": lambda f, rs: (
        f"{f['on']} 年龄 {f['age']} 周岁，已达到法定退休年龄"
        f"（{RETIREMENT_GROUPS.get(f['group'], f['group'])} {f['limit']} 周岁）"
    ),
    "eligibility.continuity": lambda f, rs: (
        f"{_span(f['window'])} 连续 {f['months']} 个月社会保险缴纳不连续："
        f"{f['not_covered']} 个月未缴纳（最早 {f['first_gap']}）"
    ),
    "eligibility.back_paid": lambda f, rs: (
        f"连续缴纳期间 {_span(f['window'])} 补缴 {f['back_paid']} 个月（最多 {f['max']} 个月）"
    ),
    "eligibility.criminal_record": lambda f, rs: "有刑事犯罪记录",
}


def basis_zh(fact: Fact, rule_set: RuleSet) -> str:
    """The Chinese basis of one indicator's fact; names of codes from ``rule_set``."""
    return BASIS[fact["kind"]](fact, rule_set)


def reason_zh(fact: Fact, rule_set: RuleSet) -> str:
    """The Chinese of one failed eligibility condition."""
    return REASONS[fact["kind"]](fact, rule_set)


def explanation_zh(b: Breakdown) -> list[dict[str, Any]]:
    """One entry per indicator, in the published order, for the pages.

    Each entry: ``indicator`` (code), ``name`` (Chinese, from the rule set), ``points``,
    ``basis`` (Chinese), ``basis_en`` (the result format's English) and ``reference``.
    """
    rs = b.rule_set
    return [
        {
            "indicator": code,
            "name": rs.indicator_names[code],
            "points": b.cents[code] / 100,
            "basis": basis_zh(b.facts[code], rs),
            "basis_en": b.basis[code],
            "reference": rs.references[code],
        }
        for code in INDICATORS
    ]


def reasons_zh(b: Breakdown) -> list[str]:
    """The failed eligibility conditions in Chinese, in order."""
    return [reason_zh(fact, b.rule_set) for fact in b.reason_facts]
