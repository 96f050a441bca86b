"""What a kind of record decides in a profile, and when declared and recorded are the same.

Pure Python, no Django. Values are the profile's own fragments (``profile-format.md``):

==================  ==========================================================
kind                value
==================  ==========================================================
permits             ``person.residence_permit`` (bool)
criminal_records    ``person.criminal_record`` (bool)
detentions          ``violations`` of kind ``administrative_detention`` (list)
tax_offences        ``violations`` of kind ``tax_offence`` (list)
social_insurance    ``social_insurance`` (list of ``{from, to, back_paid}``)
employment          ``employment`` (list of ``{from, to, district}``)
housing             ``housing`` (list of ``{kind, from, to, district}``)
education           ``education`` (list of ``{level, degree, full_time, from, to}``)
tax                 ``tax`` (``{"YYYY": yuan}``)
innovation          ``innovation`` (list of codes)
honours             ``honours`` (list of codes)
==================  ==========================================================

The comparison is on meaning, not on how records are split into rows (the spec's "what counts
as the same"): month ranges become sets of months (bit masks), amounts are summed per year.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from jifen.rules.months import MONTH_INDEX, month_label

from .kinds import KINDS

VIOLATION_KIND = {"detentions": "administrative_detention", "tax_offences": "tax_offence"}
_BOOL_FIELD = {"permits": "residence_permit", "criminal_records": "criminal_record"}
_CENT = Decimal("0.01")


def empty(kind: str) -> Any:
    """The value of a person without any record of ``kind``."""
    if kind in _BOOL_FIELD:
        return False
    if kind == "tax":
        return {}
    return []


def _copied(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (what profiles are): through orjson, in C, a tenth
    of ``copy.deepcopy``'s time (a comparison copies a fragment per application)."""
    return orjson.loads(orjson.dumps(value))


def declared(kind: str, profile: Mapping[str, Any]) -> Any:
    """The fragment of ``profile`` that ``kind`` decides, as declared."""
    if kind in _BOOL_FIELD:
        return bool(profile.get("person", {}).get(_BOOL_FIELD[kind]))
    if kind in VIOLATION_KIND:
        wanted = VIOLATION_KIND[kind]
        return [dict(v) for v in profile.get("violations") or [] if v.get("kind") == wanted]
    if kind == "tax":
        return dict(profile.get("tax") or {})
    if kind in KINDS:
        return _copied(list(profile.get(kind) or []))
    raise ValueError(f"unknown kind {kind!r}")


def recorded(kind: str, records: Iterable[Mapping[str, Any]]) -> Any:
    """The fragment a department's records of one person make (``record_files`` rows)."""
    rows = list(records)
    if kind in _BOOL_FIELD:
        return bool(rows)
    if kind in VIOLATION_KIND:
        wanted = VIOLATION_KIND[kind]
        return [{"kind": wanted, "date": r["date"]} for r in rows]
    if kind == "tax":
        sums: dict[str, Decimal] = {}
        for r in rows:
            year = str(r["year"])
            sums[year] = sums.get(year, Decimal(0)) + Decimal(str(r["amount"]))
        return {year: _number(amount) for year, amount in sorted(sums.items())}
    if kind in ("innovation", "honours"):
        return list(dict.fromkeys(r["code"] for r in rows))
    if kind == "social_insurance":
        return [
            {"from": r["from"], "to": r["to"], "back_paid": list(r.get("back_paid") or [])}
            for r in rows
        ]
    if kind == "employment":
        return [{"from": r["from"], "to": r["to"], "district": r["district"]} for r in rows]
    if kind == "housing":
        return [
            {"kind": r["kind"], "from": r["from"], "to": r["to"], "district": r["district"]}
            for r in rows
        ]
    if kind == "education":
        return [
            {
                "level": r.get("level") or None,
                "degree": r.get("degree") or None,
                "full_time": bool(r.get("full_time")),
                "from": r["from"],
                "to": r["to"],
            }
            for r in rows
        ]
    raise ValueError(f"unknown kind {kind!r}")


def _number(amount: Decimal) -> int | float:
    amount = amount.quantize(_CENT)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _span(record: Mapping[str, Any]) -> int:
    """The months ``from..to`` of a record as a mask (bit m set for month index m)."""
    first, last = MONTH_INDEX[record["from"]], MONTH_INDEX[record["to"]]
    if first > last:
        return 0
    return ((1 << (last - first + 1)) - 1) << first


def _masks(pairs: Iterable[tuple[Hashable, int]]) -> frozenset[tuple[Hashable, int]]:
    merged: dict[Hashable, int] = {}
    for key, mask in pairs:
        merged[key] = merged.get(key, 0) | mask
    return frozenset((k, m) for k, m in merged.items() if m)


def meaning(kind: str, value: Any) -> Hashable:
    """What ``value`` means for the comparison; equal meanings are "the same"."""
    if kind in _BOOL_FIELD:
        return bool(value)
    if kind in VIOLATION_KIND:
        return frozenset(v["date"] for v in value)
    if kind == "social_insurance":
        covered = back_paid = 0
        for r in value:
            covered |= _span(r)
            for m in r.get("back_paid") or []:
                back_paid |= 1 << MONTH_INDEX[m]
        return (covered, back_paid)
    if kind == "employment":
        return _masks((r["district"], _span(r)) for r in value)
    if kind == "housing":
        return _masks(((r["kind"], r["district"]), _span(r)) for r in value)
    if kind == "education":
        return tuple(
            sorted(
                (
                    r.get("level") or "",
                    r.get("degree") or "",
                    bool(r.get("full_time")),
                    r["from"],
                    r["to"],
                )
                for r in value
            )
        )
    if kind == "tax":
        amounts = {str(y): Decimal(str(a)).quantize(_CENT) for y, a in (value or {}).items()}
        return frozenset((y, a) for y, a in amounts.items() if a != 0)
    if kind in ("innovation", "honours"):
        return frozenset(value)
    raise ValueError(f"unknown kind {kind!r}")


def same(kind: str, a: Any, b: Any) -> bool:
    """Whether two values of ``kind`` mean the same (the spec's matching table)."""
    return meaning(kind, a) == meaning(kind, b)


def apply(profile: dict[str, Any], kind: str, value: Any) -> None:
    """Put ``value`` in ``profile`` as what ``kind`` decides (in place)."""
    if kind in _BOOL_FIELD:
        profile.setdefault("person", {})[_BOOL_FIELD[kind]] = bool(value)
    elif kind in VIOLATION_KIND:
        wanted = VIOLATION_KIND[kind]
        kept = [v for v in profile.get("violations") or [] if v.get("kind") != wanted]
        profile["violations"] = kept + [{"kind": wanted, "date": v["date"]} for v in value]
    elif kind == "tax":
        profile["tax"] = dict(value)
    elif kind in KINDS:
        profile[kind] = _copied(list(value))
    else:
        raise ValueError(f"unknown kind {kind!r}")


def verified_profile(profile: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the declared ``profile`` with each kind of ``values`` put in its place.

    ``female_cadre`` is in no department's records: it stays as declared (spec).
    """
    out = _copied(dict(profile))
    for kind in KINDS:
        if kind in values:
            apply(out, kind, values[kind])
    return out


# ---- differences, for the reviewers' side-by-side view and the applicant's result --------------


@dataclass
class Differences:
    """What only one side has, as short Chinese labels (``2019-01～2019-06 海淀区``)."""

    only_declared: list[str] = field(default_factory=list)
    only_recorded: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.only_declared or self.only_recorded)


def _runs(mask: int) -> list[str]:
    """The months of a mask as ranges: ``2019-01～2019-06``, or one month alone."""
    out: list[str] = []
    index = 0
    while mask:
        if mask & 1:
            start = index
            while mask & 1:
                mask >>= 1
                index += 1
            end = index - 1
            out.append(month_label(start) if start == end else
                       f"{month_label(start)}～{month_label(end)}")
        else:
            low = (mask & -mask).bit_length() - 1
            mask >>= low
            index += low
    return out


def _key_label(kind: str, key: Hashable, names: Mapping[str, str]) -> str:
    if kind == "housing":
        housing_kind, district = key  # type: ignore[misc]
        return f"{names.get(housing_kind, housing_kind)} {district}"
    return str(key)


def differences(
    kind: str, declared_value: Any, recorded_value: Any, *, names: Mapping[str, str] | None = None
) -> Differences:
    """What is declared but not recorded, and recorded but not declared.

    ``names``: Chinese names of codes for the labels (``code_names(rule_set)``); codes are shown
    as they are without it.
    """
    names = names or {}
    d = Differences()
    a, b = meaning(kind, declared_value), meaning(kind, recorded_value)
    if a == b:
        return d
    if kind in _BOOL_FIELD:
        d.only_declared.append("有" if a else "无")
        d.only_recorded.append("有" if b else "无")
    elif kind == "social_insurance":
        (ca, ba), (cb, bb) = a, b  # type: ignore[misc]
        d.only_declared += [f"缴费 {r}" for r in _runs(ca & ~cb)]
        d.only_recorded += [f"缴费 {r}" for r in _runs(cb & ~ca)]
        d.only_declared += [f"补缴 {r}" for r in _runs(ba & ~bb)]
        d.only_recorded += [f"补缴 {r}" for r in _runs(bb & ~ba)]
    elif kind in ("employment", "housing"):
        ma, mb = dict(a), dict(b)  # type: ignore[arg-type]
        for key in sorted(set(ma) | set(mb), key=str):
            label = _key_label(kind, key, names)
            only_a = ma.get(key, 0) & ~mb.get(key, 0)
            only_b = mb.get(key, 0) & ~ma.get(key, 0)
            d.only_declared += [f"{r} {label}" for r in _runs(only_a)]
            d.only_recorded += [f"{r} {label}" for r in _runs(only_b)]
    elif kind == "education":
        rest = list(b)  # type: ignore[call-overload]
        for rec in a:  # type: ignore[union-attr]
            if rec in rest:
                rest.remove(rec)
            else:
                d.only_declared.append(_education_label(rec, names))
        d.only_recorded += [_education_label(rec, names) for rec in rest]
    elif kind == "tax":
        ta, tb = dict(a), dict(b)  # type: ignore[arg-type]
        for year in sorted(set(ta) | set(tb)):
            if ta.get(year, 0) != tb.get(year, 0):
                d.only_declared.append(f"{year}年 {ta.get(year, Decimal(0)):.2f} 元")
                d.only_recorded.append(f"{year}年 {tb.get(year, Decimal(0)):.2f} 元")
    else:  # sets of dates or codes
        d.only_declared += [names.get(x, x) for x in sorted(a - b)]  # type: ignore[operator]
        d.only_recorded += [names.get(x, x) for x in sorted(b - a)]  # type: ignore[operator]
    return d


def _education_label(rec: tuple[str, str, bool, str, str], names: Mapping[str, str]) -> str:
    level, degree, full_time, start, end = rec
    parts = [
        names.get(f"level.{level}", level) if level else "",
        names.get(f"degree.{degree}", degree) if degree else "",
    ]
    what = "／".join(p for p in parts if p) or "—"
    return f"{what} {'全日制' if full_time else '非全日制'} {start}～{end}"


def code_names(rule_set: Any) -> dict[str, str]:
    """The Chinese names of a rule set's codes, as ``differences`` and ``value_lines`` read
    them: housing kinds, innovation items and honours by code; levels and degrees as
    ``level.<code>`` and ``degree.<code>`` (the same code names both)."""
    names: dict[str, str] = {}
    names.update(rule_set.housing_kind_names)
    names.update(rule_set.innovation_names)
    names.update(rule_set.honour_codes)
    names.update({f"level.{k}": v for k, v in rule_set.level_names.items()})
    names.update({f"degree.{k}": v for k, v in rule_set.degree_names.items()})
    return names


def value_lines(kind: str, value: Any, *, names: Mapping[str, str] | None = None) -> list[str]:
    """A value as short Chinese lines, one a record (for the side-by-side view)."""
    names = names or {}
    if kind in _BOOL_FIELD:
        return ["有" if value else "无"]
    if kind in VIOLATION_KIND:
        return [v["date"] for v in value]
    if kind == "social_insurance":
        out = []
        for r in value:
            line = f"{r['from']}～{r['to']}"
            if r.get("back_paid"):
                line += f"（补缴 {'、'.join(r['back_paid'])}）"
            out.append(line)
        return out
    if kind == "employment":
        return [f"{r['from']}～{r['to']} {r['district']}" for r in value]
    if kind == "housing":
        return [
            f"{r['from']}～{r['to']} {names.get(r['kind'], r['kind'])} {r['district']}"
            for r in value
        ]
    if kind == "education":
        return [
            _education_label(
                (r.get("level") or "", r.get("degree") or "", bool(r.get("full_time")),
                 r["from"], r["to"]),
                names,
            )
            for r in value
        ]
    if kind == "tax":
        return [f"{y}年 {Decimal(str(a)):.2f} 元" for y, a in sorted((value or {}).items())]
    return [names.get(code, code) for code in value]
