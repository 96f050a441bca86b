"""The rules engine's explanations in Simplified Chinese, for the web pages.

The engine (``jifen.rules.scoring``) writes each indicator's ``basis`` and each eligibility
``reason`` in English with fixed wording; those strings are part of its tested output and stay
as they are. This module reads them back with one pattern per format the engine can produce
and writes the same facts in Chinese, keeping every number, month and date exactly as written.
A string no pattern recognises (a newer engine, a hand-edited result) is returned unchanged:
translating never raises.

Strings are split at the engine's own separators (``; `` between the parts of housing and tax,
`` + `` between the parts of the study deduction), and each part is matched whole, so a part
that changes shape falls back to the English rather than being half translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jifen.applications.declaration import DEGREES, HOUSING_KINDS, INNOVATION_LABELS, LEVELS
from jifen.rules import available_rule_sets, load_rule_set

INDICATOR_NAMES: dict[str, str] = {
    "employment": "合法稳定就业",
    "housing": "合法稳定住所",
    "education": "教育背景",
    "study_deduction": "取得学历（学位）期间扣减",
    "area": "职住区域",
    "innovation": "创新创业",
    "tax": "纳税",
    "age": "年龄",
    "honours": "荣誉表彰",
    "law": "守法记录",
}

# Building blocks of the engine's formats.
_N = r"-?\d+"  # a count (months, years, offences)
_PTS = r"-?\d+(?:\.\d+)?"  # points: 12.00, 10.5, -30
_RATE = r"\d+(?:\.\d+)?(?:/\d+)?"  # 0.25, 1/12
_AMOUNT = r"\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:/\d+)?"  # yuan as Python prints an int/float/Fraction
_MONTH = r"\d{4}-\d{2}"
_DATE = r"\d{4}-\d{2}-\d{2}"
_YEAR = r"\d{4}"
_KIND = r"[a-z_]+"  # a housing kind code, looked up in HOUSING_KINDS

ROUNDING_MODES = {"half up": "四舍五入", "ceiling": "向上取整"}
RETIREMENT_GROUPS = {"men": "男职工", "women cadres": "女干部", "women workers": "女工人"}

Translator = Callable[[dict[str, str]], str]


class _Untranslatable(Exception):
    """A part matched a pattern but names a code without a Chinese label."""


def _label(table: Mapping[str, str], code: str) -> str:
    try:
        return table[code]
    except KeyError:
        raise _Untranslatable(code) from None


@cache
def _honour_labels() -> dict[str, str]:
    """Honour codes and their labels, from every rule set (newest wins on a clash)."""
    labels: dict[str, str] = {}
    rule_sets = sorted(
        (load_rule_set(name) for name in available_rule_sets()), key=lambda rs: rs.first_year
    )
    for rs in rule_sets:
        labels.update(rs.honour_codes)
    return labels


def _kind(code: str) -> str:
    return _label(HOUSING_KINDS, code)


def _kinds(codes: str) -> str:
    return "/".join(_kind(code) for code in codes.split("/"))


def _span(first: str, last: str) -> str:
    return f"{first} 至 {last}"


# ---------------------------------------------------------------- patterns, one per format
# Each entry: (name, compiled full-match pattern, translation of the named groups).
Pattern = tuple[str, re.Pattern[str], Translator]


def _p(name: str, regex: str, translate: Translator) -> Pattern:
    return (name, re.compile(regex), translate)


def _employment(g: dict[str, str]) -> str:
    text = f"共 {g['n']} 个缴费月 × {g['rate']} 分"
    if g["first"]:
        # The span is the counting window (from 1998-07), not the applicant's own first
        # month: say so, or it reads as if they had paid since then.
        text = f"统计期 {_span(g['first'], g['last'])} 内{text}"
    if g["late"]:
        text += f"；补缴 {g['late']} 个月不计分"
    return text


def _education(g: dict[str, str]) -> str:
    level = "无" if g["level"] == "none" else _label(LEVELS, g["level"])
    degree = "无" if g["degree"] == "none" else _label(DEGREES, g["degree"])
    mode = "全日制" if g["mode"] == "full-time" else "非全日制"
    return f"学历 {level}，学位 {degree}（{_span(g['first'], g['last'])}，{mode}）：{g['pts']} 分"


def _study(g: dict[str, str]) -> str:
    terms = [_study_term(term) for term in g["terms"].split(" + ")]
    if g["full"]:
        tail = f" ≥ 扣减上限 {g['full']} 分，按上限扣减"
    else:
        tail = f" = {g['pts']} 分（扣减上限 {g['cap']} 分）"
    return f"学习期间 {_span(g['first'], g['last'])}：" + " + ".join(terms) + tail


_STUDY_INSURED = re.compile(rf"(?P<n>{_N}) insured months × (?P<rate>{_RATE})")
_STUDY_HOUSING = re.compile(rf"(?P<kind>{_KIND}) (?P<n>{_N}) months × (?P<rate>{_RATE})")


def _study_term(term: str) -> str:
    m = _STUDY_INSURED.fullmatch(term)
    if m:
        return f"社会保险缴费 {m['n']} 个月 × {m['rate']}"
    m = _STUDY_HOUSING.fullmatch(term)
    if m:
        return f"{_kind(m['kind'])} {m['n']} 个月 × {m['rate']}"
    raise _Untranslatable(term)


def _tax_years(g: dict[str, str]) -> str:
    return "、".join(g["years"].split(", ")) + " 年度未申报个人所得税"


# Whole strings (one pattern matches the entire basis).
_WHOLE: dict[str, list[Pattern]] = {
    "employment": [
        _p(
            "employment",
            rf"(?P<n>{_N}) months × (?P<rate>{_RATE})"
            rf"(?:; (?P<late>{_N}) back-paid months earn nothing)?"
            rf"(?: \((?P<first>{_MONTH})\.\.(?P<last>{_MONTH})\))?",
            _employment,
        ),
    ],
    "education": [
        _p("education.none", r"no qualifying education record", lambda g: "无可计分的学历（学位）"),
        _p(
            "education.record",
            rf"level (?P<level>[a-z_]+), degree (?P<degree>[a-z_]+)"
            rf" \((?P<first>{_MONTH})\.\.(?P<last>{_MONTH}), (?P<mode>full-time|part-time)\):"
            rf" (?P<pts>{_PTS})",
            _education,
        ),
    ],
    "study_deduction": [
        _p(
            "study_deduction.none",
            r"no education points, nothing to deduct",
            lambda g: "教育背景未得分，不扣减",
        ),
        _p(
            "study_deduction.part_time",
            r"part-time study: nothing deducted",
            lambda g: "非全日制学习，不扣减",
        ),
        _p(
            "study_deduction.computed",
            rf"study (?P<first>{_MONTH})\.\.(?P<last>{_MONTH}): (?P<terms>.+?)"
            rf"(?: ≥ cap (?P<full>{_PTS})| = (?P<pts>{_PTS}) \(cap (?P<cap>{_PTS})\))",
            _study,
        ),
    ],
    "area": [
        _p(
            "area.none",
            rf"no (?P<kinds>[a-z_/]+) home outside the six central districts"
            rf" in the cut-off month (?P<month>{_MONTH})",
            lambda g: f"统计截止月 {g['month']} 在城六区以外无{_kinds(g['kinds'])}",
        ),
        _p(
            "area.computed",
            rf"home and job outside the six central districts (?P<both>{_N}) months"
            rf" → (?P<both_years>{_N}) full years × (?P<both_rate>{_PTS}) = (?P<both_pts>{_PTS});"
            rf" home only (?P<home>{_N}) months → (?P<home_years>{_N}) full years"
            rf" × (?P<home_rate>{_PTS}) = (?P<home_pts>{_PTS});"
            rf" at most (?P<cap>{_PTS}) \((?P<first>{_MONTH})\.\.(?P<last>{_MONTH})\)",
            lambda g: (
                f"住所和就业地均在城六区以外 {g['both']} 个月 → 满 {g['both_years']} 年"
                f" × {g['both_rate']} = {g['both_pts']} 分；"
                f"仅住所在城六区以外 {g['home']} 个月 → 满 {g['home_years']} 年"
                f" × {g['home_rate']} = {g['home_pts']} 分；"
                f"最高 {g['cap']} 分（{_span(g['first'], g['last'])}）"
            ),
        ),
    ],
    "innovation": [
        _p("innovation.none", r"no innovation item", lambda g: "无创新创业项目"),
        _p(
            "innovation.item",
            rf"(?P<code>[a-z0-9_.]+): (?P<pts>{_PTS})",
            lambda g: f"{_label(INNOVATION_LABELS, g['code'])}：{g['pts']} 分",
        ),
    ],
    "age": [
        _p(
            "age",
            rf"age (?P<age>{_N}) on (?P<date>{_DATE}): (?P<pts>{_PTS})",
            lambda g: f"{g['date']} 年龄 {g['age']} 周岁：{g['pts']} 分",
        ),
    ],
    "honours": [
        _p("honours.none", r"no honour", lambda g: "无荣誉表彰"),
        _p(
            "honours.item",
            rf"(?P<code>[a-z0-9_]+): (?P<pts>{_PTS}) \(not cumulative\)",
            lambda g: f"{_label(_honour_labels(), g['code'])}：{g['pts']} 分（不累计）",
        ),
    ],
    "law": [
        _p(
            "law",
            rf"(?P<n>{_N}) administrative detentions in (?P<start>{_DATE})\.\.(?P<end>{_DATE})"
            rf" × (?P<pts>{_PTS})",
            lambda g: f"{_span(g['start'], g['end'])} 行政拘留 {g['n']} 次 × {g['pts']} 分",
        ),
    ],
}

# Strings made of parts joined by "; ", each part matching one of these.
_PARTS: dict[str, list[Pattern]] = {
    "housing": [
        _p("housing.none", r"no housing months", lambda g: "无计分的住所月份"),
        _p(
            "housing.kind",
            rf"(?P<kind>{_KIND}) (?P<n>{_N}) months × (?P<rate>{_RATE}) = (?P<pts>{_PTS})",
            lambda g: f"{_kind(g['kind'])} {g['n']} 个月 × {g['rate']} = {g['pts']} 分",
        ),
        _p(
            "housing.cap",
            rf"capped at (?P<n>{_N}) insured months × (?P<rate>{_RATE}) = (?P<pts>{_PTS})"
            r" \((?P<mode>half up|ceiling)\)",
            lambda g: (
                f"上限为社会保险缴费 {g['n']} 个月 × {g['rate']} = {g['pts']} 分"
                f"（{ROUNDING_MODES[g['mode']]}），按上限计分"
            ),
        ),
    ],
    "tax": [
        _p(
            "tax.year_reached",
            rf"(?P<year>{_YEAR}): (?P<amount>{_AMOUNT}) ≥ (?P<threshold>{_AMOUNT})",
            lambda g: f"{g['year']} 年度个人所得税 {g['amount']} 元 ≥ {g['threshold']} 元",
        ),
        _p(
            "tax.year_missing",
            rf"(?P<year>{_YEAR}): missing",
            lambda g: f"{g['year']} 年度未申报个人所得税",
        ),
        _p(
            "tax.year_below",
            rf"(?P<year>{_YEAR}): (?P<amount>{_AMOUNT})",
            lambda g: f"{g['year']} 年度个人所得税 {g['amount']} 元，未达标准",
        ),
        _p(
            "tax.per_year_points",
            rf"(?P<n>{_N}) × (?P<pts>{_PTS})",
            lambda g: f"达标 {g['n']} 个年度 × {g['pts']} 分",
        ),
        _p(
            "tax.average",
            rf"average of (?P<first>{_YEAR})\.\.(?P<last>{_YEAR}) (?P<average>{_AMOUNT})"
            rf" (?P<cmp>≥|<) (?P<threshold>{_AMOUNT})",
            lambda g: (
                f"{_span(g['first'], g['last'])} 年度个人所得税年均 {g['average']} 元"
                f" {g['cmp']} {g['threshold']} 元"
            ),
        ),
        _p("tax.not_declared", rf"not declared for (?P<years>{_YEAR}(?:, {_YEAR})*)", _tax_years),
        _p(
            "tax.offences",
            rf"(?P<n>{_N}) tax offences in (?P<start>{_DATE})\.\.(?P<end>{_DATE})"
            rf" × (?P<pts>{_PTS})",
            lambda g: f"{_span(g['start'], g['end'])} 涉税违法 {g['n']} 次 × {g['pts']} 分",
        ),
    ],
}

_REASONS: list[Pattern] = [
    _p(
        "reason.residence_permit",
        r"no valid Beijing residence permit \(居住证\)",
        lambda g: "未持有有效的北京市居住证",
    ),
    _p(
        "reason.retirement",
        rf"age (?P<age>{_N}) on (?P<date>{_DATE}) is not below the retirement age"
        rf" \((?P<limit>{_N}) for (?P<who>men|women cadres|women workers)\)",
        lambda g: (
            f"{g['date']} 年龄 {g['age']} 周岁，已达到法定退休年龄"
            f"（{RETIREMENT_GROUPS[g['who']]} {g['limit']} 周岁）"
        ),
    ),
    _p(
        "reason.continuity",
        rf"social insurance not continuous for the (?P<months>{_N}) months"
        rf" (?P<first>{_MONTH})\.\.(?P<last>{_MONTH}):"
        rf" (?P<gaps>{_N}) months not covered \(first (?P<gap>{_MONTH})\)",
        lambda g: (
            f"{_span(g['first'], g['last'])} 连续 {g['months']} 个月社会保险缴纳不连续："
            f"{g['gaps']} 个月未缴纳（最早 {g['gap']}）"
        ),
    ),
    _p(
        "reason.back_paid",
        rf"(?P<late>{_N}) back-paid months in the continuity window"
        rf" (?P<first>{_MONTH})\.\.(?P<last>{_MONTH}) \(at most (?P<limit>{_N})\)",
        lambda g: (
            f"连续缴纳期间 {_span(g['first'], g['last'])} 补缴 {g['late']} 个月"
            f"（最多 {g['limit']} 个月）"
        ),
    ),
    _p("reason.criminal_record", r"criminal record \(刑事犯罪记录\)", lambda g: "有刑事犯罪记录"),
]

# Every pattern by name: what the tests check each format against.
PATTERNS: dict[str, Pattern] = {
    p[0]: p for group in (*_WHOLE.values(), *_PARTS.values(), _REASONS) for p in group
}


def _match(patterns: list[Pattern], text: str) -> tuple[str, str] | None:
    """(pattern name, Chinese) of the first pattern matching all of ``text``, or None."""
    for name, regex, translate in patterns:
        m = regex.fullmatch(text)
        if m:
            groups = {k: v or "" for k, v in m.groupdict().items()}
            return name, translate(groups)
    return None


def match_basis(indicator: str, basis: str) -> list[tuple[str, str]] | None:
    """The patterns (names) and Chinese of each part of ``basis``; None if not recognised."""
    try:
        if indicator in _WHOLE:
            found = _match(_WHOLE[indicator], basis)
            return [found] if found else None
        if indicator in _PARTS:
            parts = [_match(_PARTS[indicator], part) for part in basis.split("; ")]
            if any(p is None for p in parts):
                return None
            return [p for p in parts if p is not None]
    except (_Untranslatable, KeyError):
        return None
    return None


def basis_zh(indicator: str, basis: str) -> str:
    """The Chinese of one indicator's ``basis``; the original when it is not recognised."""
    if not isinstance(indicator, str) or not isinstance(basis, str):
        return basis
    found = match_basis(indicator, basis)
    if found is None:
        return basis
    return "；".join(text for _name, text in found)


def reason_zh(reason: str) -> str:
    """The Chinese of one eligibility reason; the original when it is not recognised."""
    if not isinstance(reason, str):
        return reason
    try:
        found = _match(_REASONS, reason)
    except (_Untranslatable, KeyError):
        return reason
    return reason if found is None else found[1]


def reasons_zh(result: dict[str, Any]) -> list[str]:
    """The eligibility reasons of a ``jifen.result/1`` in Chinese, in order."""
    reasons = result.get("reasons") or []
    return [reason_zh(reason) for reason in reasons]


def explain_zh(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The explanation of a ``jifen.result/1``, one entry per indicator, with Chinese basis.

    Each entry: ``indicator``, ``name`` (Chinese), ``points``, ``basis`` (Chinese),
    ``basis_en`` (the engine's own text) and ``reference``.
    """
    entries = []
    for item in result.get("explanation") or []:
        indicator = item.get("indicator", "")
        basis = item.get("basis", "")
        entries.append(
            {
                "indicator": indicator,
                "name": INDICATOR_NAMES.get(indicator, indicator),
                "points": item.get("points"),
                "basis": basis_zh(indicator, basis),
                "basis_en": basis,
                "reference": item.get("reference", ""),
            }
        )
    return entries
