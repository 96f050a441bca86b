"""The whitelist of what an ad-hoc question (应急统计) may use: fields and measures.

A question never carries SQL: it names fields from this table, each of which knows its Chinese
label, the type of its values (checked before anything runs) and the ORM expression that reads
it from an application (``Application`` annotated). Fields are read from the application, its
applicant and employer, its newest first result (初核结果: totals and indicator points) and
the round's current scoring run (admitted or not).

Tests may add a field (``FIELDS[key] = ...``) to make a slow or writing query on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    lookups,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, ExtractYear

from jifen.applications.models import Status
from jifen.review.kinds import KIND_NAMES, KINDS
from jifen.review.models import FirstResult, ItemState, VerificationItem
from jifen.rounds.models import RankedResult
from jifen.rules import INDICATORS
from jifen.rules.ruleset import newest_rule_set

# Kinds of values: "choice" (one of ``choices``), "int", "number" (decimal), "bool".
KINDS_OF_VALUE = ("choice", "int", "number", "bool")


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # Chinese
    kind: str
    expr: Callable[[], Expression]
    choices: tuple[tuple[str, str], ...] = ()  # (value, Chinese label), in display order
    groupable: bool = True  # a raw number (a total) is filtered on, not grouped by
    measurable: bool = False  # average / min / max make sense
    ops: tuple[str, ...] = field(default=("eq", "in"))

    @property
    def alias(self) -> str:
        return "f_" + self.key.replace(":", "__").replace(".", "_")

    def label_of(self, value: object) -> str:
        if value is None:
            return "（无）"
        if self.kind == "bool":
            return "是" if value else "否"
        if self.choices:
            return dict(self.choices).get(str(value), str(value))
        return str(value)


def _newest_result() -> object:
    return FirstResult.objects.filter(application=OuterRef("pk")).order_by("-id")


def _total() -> Expression:
    return Subquery(
        _newest_result().values("total")[:1],
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )


def _indicator(code: str) -> Callable[[], Expression]:
    def expr() -> Expression:
        points = Cast(KT(f"result__indicators__{code}"), FloatField())
        return Subquery(
            _newest_result().annotate(v=points).values("v")[:1], output_field=FloatField()
        )

    return expr


def _eligible() -> Expression:
    return Subquery(_newest_result().values("eligible")[:1])


def _admitted() -> Expression:
    return Subquery(
        RankedResult.objects.filter(
            run_id=OuterRef("round__current_run_id"), application=OuterRef("pk")
        ).values("admitted")[:1]
    )


def _item_state(kind: str) -> Callable[[], Expression]:
    def expr() -> Expression:
        return Subquery(
            VerificationItem.objects.filter(application=OuterRef("pk"), kind=kind).values("state")[
                :1
            ]
        )

    return expr


def _age() -> Expression:
    # Years between the birth year and the year before the application year (the rule sets'
    # age reference date is 1 January of Y-1): a band never depends on the day of birth.
    return ExpressionWrapper(
        F("round__year") - 1 - ExtractYear("applicant__birth_date"), output_field=IntegerField()
    )


_LOOKUPS = {
    "gt": lookups.GreaterThan,
    "gte": lookups.GreaterThanOrEqual,
    "lt": lookups.LessThan,
    "lte": lookups.LessThanOrEqual,
    "eq": lookups.Exact,
}
# A band: (code, Chinese label, conditions on the value: ((op, bound), ...), all must hold).
Band = tuple[str, str, tuple[tuple[str, float], ...]]


def _banded(source: Callable[[], Expression], bands: tuple[Band, ...]) -> Callable[[], Expression]:
    """The code of the first band whose conditions hold (NULL for a missing value)."""

    def expr() -> Expression:
        value = source()
        whens = [
            When(Q(*(_LOOKUPS[op](value, Value(bound)) for op, bound in conds)), then=Value(code))
            for code, _, conds in bands
        ]
        return Case(*whens, default=Value(None), output_field=CharField())

    return expr


def _between(edges: tuple[float, ...], unit: str) -> tuple[Band, ...]:
    """Bands between ``edges``: below the first, each [a, b), from the last up."""
    out: list[Band] = [(f"<{edges[0]:g}", f"低于{edges[0]:g}{unit}", (("lt", edges[0]),))]
    for a, b in pairwise(edges):
        out.append((f"{a:g}-{b:g}", f"{a:g}（含）至{b:g}{unit}", (("gte", a), ("lt", b))))
    out.append((f">={edges[-1]:g}", f"{edges[-1]:g}{unit}及以上", (("gte", edges[-1]),)))
    return tuple(out)


AGE_BANDS: tuple[Band, ...] = (
    ("<=30", "30岁及以下", (("lte", 30),)),
    ("31-35", "31至35岁", (("gte", 31), ("lte", 35))),
    ("36-40", "36至40岁", (("gte", 36), ("lte", 40))),
    ("41-45", "41至45岁", (("gte", 41), ("lte", 45))),
    ("46-49", "46至49岁", (("gte", 46), ("lte", 49))),
    (">=50", "50岁及以上", (("gte", 50),)),
)
TOTAL_BANDS = _between((80, 90, 100, 110, 120, 130, 140), "分")
INDICATOR_BANDS: tuple[Band, ...] = (
    ("<0", "负分", (("lt", 0),)),
    ("0", "0分", (("eq", 0),)),
    ("0-5", "0至5分（含5分）", (("gt", 0), ("lte", 5))),
    ("5-10", "5至10分（含10分）", (("gt", 5), ("lte", 10))),
    ("10-20", "10至20分（含20分）", (("gt", 10), ("lte", 20))),
    ("20-40", "20至40分（含40分）", (("gt", 20), ("lte", 40))),
    (">40", "40分以上", (("gt", 40),)),
)
EDUCATION_TIERS: tuple[Band, ...] = (
    ("0", "无学历学位积分", (("eq", 0),)),
    ("10.5", "大专，或单一学历、学位（10.5分）", (("eq", 10.5),)),
    ("15", "本科学历学士学位（15分）", (("eq", 15),)),
    ("26", "硕士研究生（26分）", (("eq", 26),)),
    ("37", "博士研究生（37分）", (("eq", 37),)),
)


def _choices(bands: tuple[Band, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((code, label) for code, label, _ in bands)


def _build() -> dict[str, Field]:
    rs = newest_rule_set()
    names = rs.indicator_names
    fields = [
        Field("year", "申报年度", "int", lambda: F("round__year"), ops=("eq", "in", "range")),
        Field("status", "申报状态", "choice", lambda: F("status"), tuple(Status.choices)),
        Field(
            "employer_district",
            "单位所在区",
            "choice",
            lambda: F("employer__district"),
            tuple((d, d) for d in rs.districts),
        ),
        Field("sex", "性别", "choice", lambda: F("applicant__sex"), (("M", "男"), ("F", "女"))),
        Field(
            "age",
            "年龄（周岁，按出生年份）",
            "int",
            _age,
            groupable=False,
            ops=("eq", "in", "range"),
        ),
        Field("age_band", "年龄段", "choice", _banded(_age, AGE_BANDS), _choices(AGE_BANDS)),
        Field(
            "education_tier",
            "学历档次（按教育背景积分）",
            "choice",
            _banded(_indicator("education"), EDUCATION_TIERS),
            _choices(EDUCATION_TIERS),
        ),
        Field("eligible", "符合申报条件", "bool", _eligible),
        Field("admitted", "取得落户资格（当前积分评定）", "bool", _admitted),
        Field(
            "total",
            "总积分",
            "number",
            _total,
            groupable=False,
            measurable=True,
            ops=("eq", "in", "range"),
        ),
        Field(
            "total_band", "总积分段", "choice", _banded(_total, TOTAL_BANDS), _choices(TOTAL_BANDS)
        ),
    ]
    for code in INDICATORS:
        fields.append(
            Field(
                f"indicator:{code}",
                f"{names[code]}积分",
                "number",
                _indicator(code),
                groupable=False,
                measurable=True,
                ops=("eq", "in", "range"),
            )
        )
        fields.append(
            Field(
                f"indicator_band:{code}",
                f"{names[code]}积分段",
                "choice",
                _banded(_indicator(code), INDICATOR_BANDS),
                _choices(INDICATOR_BANDS),
            )
        )
    states = tuple(ItemState.choices)
    for kind in KINDS:
        fields.append(
            Field(
                f"item:{kind}",
                f"核验事项状态：{KIND_NAMES[kind]}",
                "choice",
                _item_state(kind),
                states,
            )
        )
    return {f.key: f for f in fields}


FIELDS: dict[str, Field] = _build()

# Measures: the count, and the average / lowest / highest of a measurable field.
AGGREGATES = {"avg": "平均", "min": "最低", "max": "最高"}
MAX_MEASURES = 4


def measure_label(measure: str) -> str:
    if measure == "count":
        return "人数"
    agg, key = measure.split(":", 1)
    return f"{FIELDS[key].label}（{AGGREGATES[agg]}）"


def measure_choices() -> list[tuple[str, str]]:
    out = [("count", "人数")]
    for f in FIELDS.values():
        if f.measurable:
            out.extend((f"{agg}:{f.key}", measure_label(f"{agg}:{f.key}")) for agg in AGGREGATES)
    return out


def to_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
