"""Ad-hoc statistics (应急统计): a question built from whitelisted fields, filters, a grouping
and measures, compiled to the ORM, run read-only with a time limit, audited, with small groups
hidden (``adhoc_suppress``).

A question (``Question``) is checked in full before anything runs (``compile_question``): every
problem names its field. ``run_question`` answers it (``Answer``): the cells of the grouping,
with one or two grouping fields a subtotal per value of the first, and the grand total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Max, Min, QuerySet

from jifen.applications.models import Application
from jifen.audit.services import record_event
from jifen.core.errors import FieldError, InvalidInput, NotPermitted, ServiceError
from jifen.core.roles import Role

from .adhoc_fields import AGGREGATES, FIELDS, MAX_MEASURES, Field, measure_label
from .adhoc_readonly import read_only
from .adhoc_suppress import suppress

REFUSED = "只有市人社局管理员可以使用应急统计"
RUN_ACTION = "stats.adhoc_run"
EXPORT_ACTION = "stats.adhoc_export"
REFUSED_ACTION = "stats.adhoc_refused"
OPS = {"eq": "等于", "in": "属于", "range": "介于"}
MAX_FILTERS = 10
MAX_IN_VALUES = 50
_AGG = {"avg": Avg, "min": Min, "max": Max}


def min_group() -> int:
    return int(getattr(settings, "STATS_MIN_GROUP", 10))


def time_limit() -> float:
    return float(getattr(settings, "STATS_ADHOC_TIMEOUT_SECONDS", 10))


def may_ask(user: Any) -> bool:
    return getattr(user, "role", None) == Role.BUREAU_ADMIN


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    values: tuple[Any, ...]  # eq: one; in: several; range: (low or None, high or None)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "values": [_plain(v) for v in self.values]}

    def describe(self) -> str:
        f = FIELDS[self.field]
        if self.op == "range":
            low, high = self.values
            parts = []
            if low is not None:
                parts.append(f"不低于{low}")
            if high is not None:
                parts.append(f"不高于{high}")
            return f"{f.label}{'且'.join(parts)}"
        shown = "、".join(f.label_of(v) for v in self.values)
        return f"{f.label}{OPS[self.op]}{shown}"


@dataclass(frozen=True)
class Question:
    group_by: tuple[str, ...]
    measures: tuple[str, ...] = ("count",)
    filters: tuple[Filter, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "group_by": list(self.group_by),
            "measures": list(self.measures),
            "filters": [f.as_dict() for f in self.filters],
        }

    def describe(self) -> str:
        groups = "、".join(FIELDS[k].label for k in self.group_by)
        conds = "；".join(f.describe() for f in self.filters) or "全部申报"
        return f"按{groups}分组；条件：{conds}"


def _plain(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


# ---------------------------------------------------------------- checking a question


def _value(f: Field, raw: Any, where: str, errors: list[FieldError]) -> Any:
    """``raw`` read as a value of ``f`` (else an error naming the field, and None)."""
    text = str(raw).strip() if raw is not None else ""
    if text == "":
        errors.append(FieldError(where, f"请填写「{f.label}」的取值"))
        return None
    if f.kind == "choice":
        codes = {c for c, _ in f.choices}
        by_label = {label: c for c, label in f.choices}
        if text in codes:
            return text
        if text in by_label:
            return by_label[text]
        errors.append(FieldError(where, f"「{f.label}」没有“{text[:40]}”这一取值"))
        return None
    if f.kind == "bool":
        if text.lower() in ("true", "1", "是", "yes"):
            return True
        if text.lower() in ("false", "0", "否", "no"):
            return False
        errors.append(FieldError(where, f"「{f.label}」的取值只能是“是”或“否”"))
        return None
    if f.kind == "int":
        if text.lstrip("-").isdigit() and len(text) <= 6:
            return int(text)
        errors.append(FieldError(where, f"「{f.label}」的取值须为整数，“{text[:40]}”不是"))
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= 10**6:
        errors.append(FieldError(where, f"「{f.label}」的取值须为数字，“{text[:40]}”不是"))
        return None
    return number


def _as_list(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, list | tuple):
        return list(raw)
    # A typed list: values separated by commas or the Chinese enumeration comma.
    return [p for p in str(raw).replace("，", ",").replace("、", ",").split(",") if p.strip()]


def compile_question(data: Mapping[str, Any]) -> Question:
    """Check ``data`` (``group_by``, ``measures``, ``filters``) and build the question;
    raises InvalidInput listing every problem, each naming its field."""
    errors: list[FieldError] = []
    group_by: list[str] = []
    raw_groups = [g for g in _as_list(data.get("group_by")) if str(g).strip()]
    if not raw_groups:
        errors.append(FieldError("group_by", "请选择至少一个分组字段"))
    if len(raw_groups) > 2:
        errors.append(FieldError("group_by", "最多按两个字段分组"))
    for i, key in enumerate(raw_groups[:2]):
        key = str(key).strip()
        f = FIELDS.get(key)
        if f is None:
            errors.append(FieldError(f"group_by[{i}]", f"没有名为“{key[:40]}”的统计字段"))
        elif not f.groupable:
            errors.append(
                FieldError(f"group_by[{i}]", f"「{f.label}」不能用于分组，请改用对应的分段字段")
            )
        elif key in group_by:
            errors.append(FieldError(f"group_by[{i}]", f"「{f.label}」重复选择"))
        else:
            group_by.append(key)

    measures: list[str] = []
    raw_measures = [m for m in _as_list(data.get("measures")) if str(m).strip()] or ["count"]
    if len(raw_measures) > MAX_MEASURES:
        errors.append(FieldError("measures", f"最多选择{MAX_MEASURES}项统计指标"))
    for i, m in enumerate(raw_measures[:MAX_MEASURES]):
        m = str(m).strip()
        agg, _, key = m.partition(":")
        if m == "count" or (agg in AGGREGATES and key in FIELDS and FIELDS[key].measurable):
            if m not in measures:
                measures.append(m)
        else:
            errors.append(FieldError(f"measures[{i}]", f"没有名为“{m[:40]}”的统计指标"))
    if "count" not in measures:
        measures.insert(0, "count")  # the count decides what is shown

    filters: list[Filter] = []
    raw_filters = data.get("filters") or []
    if not isinstance(raw_filters, list | tuple):
        errors.append(FieldError("filters", "筛选条件格式有误"))
        raw_filters = []
    if len(raw_filters) > MAX_FILTERS:
        errors.append(FieldError("filters", f"最多设置{MAX_FILTERS}个筛选条件"))
    for i, raw in enumerate(raw_filters[:MAX_FILTERS]):
        where = f"filters[{i}]"
        if not isinstance(raw, Mapping):
            errors.append(FieldError(where, "筛选条件格式有误"))
            continue
        key = str(raw.get("field") or "").strip()
        f = FIELDS.get(key)
        if f is None:
            errors.append(FieldError(f"{where}.field", f"没有名为“{key[:40]}”的统计字段"))
            continue
        op = str(raw.get("op") or "eq").strip()
        if op not in f.ops:
            allowed = "、".join(OPS[o] for o in f.ops)
            errors.append(FieldError(f"{where}.op", f"「{f.label}」的筛选方式只能是{allowed}"))
            continue
        before = len(errors)
        if op == "eq":
            values: tuple[Any, ...] = (_value(f, raw.get("value"), f"{where}.value", errors),)
        elif op == "in":
            items = _as_list(
                raw.get("values") if raw.get("values") is not None else raw.get("value")
            )
            if not items:
                errors.append(FieldError(f"{where}.value", f"请填写「{f.label}」的取值"))
            elif len(items) > MAX_IN_VALUES:
                errors.append(
                    FieldError(f"{where}.value", f"「{f.label}」最多列出{MAX_IN_VALUES}个取值")
                )
            values = tuple(_value(f, v, f"{where}.value", errors) for v in items)
        else:
            low_raw, high_raw = raw.get("min"), raw.get("max")
            low = None if low_raw in (None, "") else _value(f, low_raw, f"{where}.min", errors)
            high = None if high_raw in (None, "") else _value(f, high_raw, f"{where}.max", errors)
            if low_raw in (None, "") and high_raw in (None, ""):
                errors.append(FieldError(f"{where}.min", f"请填写「{f.label}」范围的下限或上限"))
            elif low is not None and high is not None and low > high:
                errors.append(FieldError(f"{where}.max", f"「{f.label}」范围的上限低于下限"))
            values = (low, high)
        if len(errors) == before:
            filters.append(Filter(key, op, values))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return Question(tuple(group_by), tuple(measures), tuple(filters))


# ---------------------------------------------------------------- answering


@dataclass
class Row:
    kind: str  # "cell", "subtotal" or "total"
    keys: tuple[Any, ...]  # the group values (a subtotal: the first only; the total: none)
    labels: tuple[str, ...]
    count: int
    measures: dict[str, Any]
    hidden: bool = False

    def shown_count(self, minimum: int) -> str:
        if not self.hidden:
            return str(self.count)
        return f"<{minimum}" if 0 < self.count < minimum else "—"


@dataclass
class Answer:
    question: Question
    minimum: int
    rows: list[Row] = field(default_factory=list)

    @property
    def hidden_count(self) -> int:
        return sum(1 for r in self.rows if r.hidden)

    def headers(self) -> list[str]:
        return [FIELDS[k].label for k in self.question.group_by] + [
            measure_label(m) for m in self.question.measures
        ]

    def table(self) -> list[list[str]]:
        """The rows as shown: hidden counts as "<10" or "—", their measures as "—"."""
        out = []
        for r in self.rows:
            labels = list(r.labels)
            if r.kind == "subtotal":
                labels = [labels[0], "小计"]
            elif r.kind == "total":
                labels = ["合计"] + [""] * (len(self.question.group_by) - 1)
            cells = []
            for m in self.question.measures:
                if m == "count":
                    cells.append(r.shown_count(self.minimum))
                elif r.hidden or r.measures.get(m) is None:
                    cells.append("—")
                else:
                    cells.append(_fmt(r.measures[m]))
            out.append(labels + cells)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question.as_dict(),
            "description": self.question.describe(),
            "minimum": self.minimum,
            "hidden": self.hidden_count,
            "headers": self.headers(),
            "rows": [
                {
                    "kind": r.kind,
                    "groups": [_plain(k) for k in r.keys],
                    "labels": list(r.labels),
                    "hidden": r.hidden,
                    "count": None if r.hidden else r.count,
                    "shown": shown,
                    "measures": {
                        m: None if r.hidden or r.measures.get(m) is None else _fmt(r.measures[m])
                        for m in self.question.measures
                        if m != "count"
                    },
                }
                for r, shown in zip(self.rows, (x for x in self.table()), strict=True)
            ],
        }


def _fmt(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def _queryset(question: Question) -> QuerySet:
    used = {*question.group_by, *(f.field for f in question.filters)}
    used |= {m.split(":", 1)[1] for m in question.measures if m != "count"}
    qs = Application.objects.annotate(**{FIELDS[k].alias: FIELDS[k].expr() for k in sorted(used)})
    for flt in question.filters:
        alias = FIELDS[flt.field].alias
        if flt.op == "eq":
            qs = qs.filter(**{alias: flt.values[0]})
        elif flt.op == "in":
            qs = qs.filter(**{f"{alias}__in": list(flt.values)})
        else:
            low, high = flt.values
            if low is not None:
                qs = qs.filter(**{f"{alias}__gte": low})
            if high is not None:
                qs = qs.filter(**{f"{alias}__lte": high})
    return qs


def _aggregates(question: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"n": Count("pk")}
    for i, m in enumerate(question.measures):
        if m != "count":
            agg, key = m.split(":", 1)
            out[f"m{i}"] = _AGG[agg](FIELDS[key].alias)
    return out


def _measures(question: Question, row: Mapping[str, Any]) -> dict[str, Any]:
    return {m: row.get(f"m{i}") for i, m in enumerate(question.measures) if m != "count"}


def _labels(question: Question, keys: Sequence[Any]) -> tuple[str, ...]:
    return tuple(FIELDS[k].label_of(v) for k, v in zip(question.group_by, keys, strict=False))


def _evaluate(question: Question) -> list[Row]:
    qs = _queryset(question)
    aggs = _aggregates(question)
    aliases = [FIELDS[k].alias for k in question.group_by]
    rows: list[Row] = []
    for r in qs.values(*aliases).annotate(**aggs).order_by(*aliases):
        keys = tuple(r[a] for a in aliases)
        rows.append(Row("cell", keys, _labels(question, keys), r["n"], _measures(question, r)))
    subtotals: list[Row] = []
    if len(aliases) == 2:
        for r in qs.values(aliases[0]).annotate(**aggs).order_by(aliases[0]):
            keys = (r[aliases[0]],)
            subtotals.append(
                Row("subtotal", keys, _labels(question, keys), r["n"], _measures(question, r))
            )
    total = qs.aggregate(**aggs)
    grand = Row("total", (), (), total["n"], _measures(question, total))
    # Cells under their subtotal, the grand total last.
    ordered: list[Row] = []
    if subtotals:
        for sub in subtotals:
            ordered.extend(c for c in rows if c.keys[0] == sub.keys[0])
            ordered.append(sub)
    else:
        ordered = rows
    ordered.append(grand)
    return ordered


def _suppress(rows: list[Row], minimum: int) -> None:
    counts = {i: r.count for i, r in enumerate(rows)}
    grand = len(rows) - 1
    cells = [i for i, r in enumerate(rows) if r.kind == "cell"]
    subs = [i for i, r in enumerate(rows) if r.kind == "subtotal"]
    # The grand total is the sum of the cells, or of the subtotals (each the sum of its cells:
    # then every subtotal with 0 or 2+ hidden cells already protects them).
    constraints: list[tuple[int, list[int]]] = [(grand, subs if subs else cells)]
    for s in subs:
        constraints.insert(0, (s, [c for c in cells if rows[c].keys[0] == rows[s].keys[0]]))
    for i in suppress(counts, constraints, minimum):
        rows[i].hidden = True


def answer_question(question: Question, *, minimum: int | None = None) -> Answer:
    """The answer to ``question`` (read-only, time-limited), small groups hidden."""
    minimum = min_group() if minimum is None else minimum
    with read_only(time_limit()):
        rows = _evaluate(question)
    _suppress(rows, minimum)
    return Answer(question, minimum, rows)


def run_question(*, actor: Any, data: Mapping[str, Any], purpose: str = "view") -> Answer:
    """Check and answer the question in ``data`` for ``actor`` (bureau only); audited: who,
    the question and the number of rows, or why it was refused."""
    if not may_ask(actor):
        raise NotPermitted(REFUSED)
    question = compile_question(data)
    try:
        answer = answer_question(question)
    except ServiceError as exc:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=REFUSED_ACTION,
                target_type="stats.question",
                after={"question": question.as_dict(), "error": exc.code},
                detail=question.describe()[:500],
            )
        raise
    with transaction.atomic():
        record_event(
            actor=actor,
            action=EXPORT_ACTION if purpose == "export" else RUN_ACTION,
            target_type="stats.question",
            after={
                "question": question.as_dict(),
                "rows": sum(1 for r in answer.rows if r.kind == "cell"),
                "hidden": answer.hidden_count,
                "minimum": answer.minimum,
            },
            detail=question.describe()[:500],
        )
    return answer
