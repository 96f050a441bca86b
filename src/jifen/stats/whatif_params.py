"""The rule-set parameters a what-if may change (a whitelist of numeric values of the rule-set
data, each with its Chinese label), and reading a typed new value for one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from jifen.core.errors import InvalidInput
from jifen.rules.ruleset import (
    RuleSet,
    RuleSetError,
    load_rule_set,
    rule_set_table,
    rule_set_variant,
)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str  # Chinese
    path: tuple[str | int, ...]  # into the merged rule-set table
    kind: str = "points"  # "points" (≤ 2 decimals), "rate" (a fraction like 1/4), "yuan"

    def current(self, rule_set: str) -> Any:
        node: Any = rule_set_table(rule_set)
        for step in self.path:
            node = node[step]
        return node


_P = Parameter
PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in (
        _P(
            "employment.rate",
            "合法稳定就业：每月积分",
            ("indicators", "employment", "points_per_month"),
            "rate",
        ),
        _P(
            "housing.owned",
            "合法稳定住所：自有住房每月积分",
            ("indicators", "housing", "points_per_month", "owned"),
            "rate",
        ),
        _P(
            "housing.rented",
            "合法稳定住所：租赁住房每月积分",
            ("indicators", "housing", "points_per_month", "rented"),
            "rate",
        ),
        _P(
            "education.bachelor",
            "教育背景：本科（学历学位一致）积分",
            ("indicators", "education", "with", "bachelor"),
        ),
        _P(
            "education.master",
            "教育背景：硕士研究生积分",
            ("indicators", "education", "with", "master"),
        ),
        _P(
            "education.doctor",
            "教育背景：博士研究生积分",
            ("indicators", "education", "with", "doctor"),
        ),
        _P(
            "area.both_out",
            "职住区域：就业和居住均在城六区外每年积分",
            ("indicators", "area", "both_out_points_per_year"),
        ),
        _P("area.cap", "职住区域：最高积分", ("indicators", "area", "cap")),
        _P("innovation.cap", "创新创业：最高积分", ("indicators", "innovation", "cap")),
        _P("tax.per_year", "纳税：每年积分", ("indicators", "tax", "points_per_year")),
        _P(
            "tax.threshold",
            "纳税：每年纳税额标准（元）",
            ("indicators", "tax", "threshold_yuan"),
            "yuan",
        ),
        _P("tax.cap", "纳税：最高积分", ("indicators", "tax", "cap")),
        _P("age.band0", "年龄：第一档（最年轻一档）积分", ("indicators", "age", "bands", 0, 1)),
        _P("honours.points", "荣誉表彰：积分", ("indicators", "honours", "points")),
        _P("law.detention", "守法记录：行政拘留扣分", ("indicators", "law", "detention_points")),
    )
}


def parse_value(param: Parameter, raw: Any, where: str = "value") -> Any:
    """The typed new value as the rule-set data writes it; InvalidInput naming ``where``."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise InvalidInput(f"请填写「{param.label}」的新取值", field=where)
    if param.kind == "rate":
        try:
            rate = Fraction(text)
        except (ValueError, ZeroDivisionError):
            rate = None
        if rate is None or rate < 0 or rate > 10 or rate.denominator > 1000:
            raise InvalidInput(
                f"「{param.label}」须为0到10之间的数或分数（如 1/4），“{text[:30]}”不是",
                field=where,
            )
        return str(rate)
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    limit = 10**9 if param.kind == "yuan" else 1000
    if number is None or not number.is_finite() or abs(number) > limit:
        raise InvalidInput(f"「{param.label}」须为数字，“{text[:30]}”不是", field=where)
    if param.kind == "points" and number != number.quantize(Decimal("0.01")):
        raise InvalidInput(f"「{param.label}」最多保留两位小数", field=where)
    return float(number) if number != number.to_integral_value() else int(number)


def changed_rule_set(rule_set: str, key: str, raw: Any) -> tuple[RuleSet, Parameter, Any, Any]:
    """The copy of ``rule_set`` with parameter ``key`` set to ``raw``: (rule set, the
    parameter, old value, new value)."""
    param = PARAMETERS.get(key)
    if param is None:
        raise InvalidInput(f"没有名为“{str(key)[:40]}”的可调整参数", field="parameter")
    value = parse_value(param, raw)
    try:
        old = param.current(rule_set)
        rs = rule_set_variant(rule_set, {param.path: value})
    except (RuleSetError, KeyError, IndexError) as exc:
        raise InvalidInput(f"「{param.label}」不能调整为“{raw}”", field="value") from exc
    return rs, param, old, value


def base_rule_set(name: str) -> RuleSet:
    return load_rule_set(name)
