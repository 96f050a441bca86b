"""Rule sets: the policy's numbers, read from dated data files and compiled for fast scoring.

A rule set is a TOML file in ``rulesets/``. A file may ``extends`` another and override only
what differs (tables merge key by key; lists and values replace). Each indicator table carries
``reference`` and ``since``; dated values (the housing cap's rounding) carry ``from_year``.

Compiling turns every rate into an integer numerator over one common denominator, so that
scoring needs no fractions at run time yet stays exact.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

from .months import parse_month
from .ranking import RankingRule, parse_ranking

INDICATORS = (
    "employment",
    "housing",
    "education",
    "study_deduction",
    "area",
    "innovation",
    "tax",
    "age",
    "honours",
    "law",
)
HOUSING_KINDS = ("owned", "rented", "dormitory")
DEGREES = ("bachelor", "master", "doctor")  # the profile's degree codes (学位)
ROUNDING_MODES = ("half_up", "ceiling")


class RuleSetError(ValueError):
    """A rule set is unknown, or its data file is inconsistent."""


def _cents(value: Any, where: str) -> int:
    """Points as whole hundredths; the data must not carry more precision than that."""
    exact = _fraction(value, where)  # a non-number names its key too
    cents = exact * 100
    if cents.denominator != 1:
        raise RuleSetError(f"{where}: {value} has more than 2 decimals")
    return int(cents)


def _fraction(value: Any, where: str) -> Fraction:
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise RuleSetError(f"{where}: not a number: {value!r}") from exc


def _whole_if_possible(value: Fraction) -> int | Fraction:
    return value.numerator if value.denominator == 1 else value


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, slots=True)
class YearOffsetDate:
    """A date given relative to the application year Y, e.g. Y-1-01-01."""

    year_offset: int
    month: int
    day: int

    def resolve(self, year: int) -> tuple[int, int, int]:
        return (year + self.year_offset, self.month, self.day)


@dataclass(frozen=True, slots=True)
class RoundDates:
    """The dates of one round (application year) under one rule set."""

    year: int
    cutoff: int  # month index of the statistics cut-off month
    age_reference: tuple[int, int, int]
    lookback_start: int  # dates as YYYYMMDD integers, both ends included
    lookback_end: int
    cap_rounding: str
    age_reference_label: str  # for explanations: computed once per round, not per profile
    lookback_label: str


# eq=False: compared and hashed by identity, so that per-year dates can be cached.
@dataclass(frozen=True, slots=True, eq=False)
class RuleSet:
    id: str
    version: str
    title: str
    first_year: int
    reference: str

    # dates
    cutoff: YearOffsetDate
    age_reference: YearOffsetDate
    earliest_month: int
    lookback_start: YearOffsetDate
    lookback_end: YearOffsetDate

    # eligibility
    residence_permit_required: bool
    criminal_record_excludes: bool
    retirement_age: dict[str, int]
    continuity_months: int
    continuity_max_back_paid: int

    # exact rates: numerator over `denominator`
    denominator: int
    employment_rate: Fraction
    employment_num: int
    housing_precedence: tuple[str, ...]
    housing_rate: dict[str, Fraction]
    housing_num: dict[str, int]
    housing_cap_rate: Fraction
    housing_cap_num: int
    cap_rounding: tuple[tuple[int, str], ...]

    education_tiers: tuple[str, ...]
    education_with: dict[str, int]  # cents
    education_alone: dict[str, int]  # cents
    study_cap_by_points: dict[int, int]  # cents -> cents
    study_full_time_only: bool

    area_from: int
    area_home_kinds: frozenset[str]
    area_both_per_year: int  # cents
    area_home_per_year: int
    area_both_cap: int
    area_home_cap: int
    area_cap: int
    area_require_home_out_at_cutoff: bool

    innovation_items: dict[str, int]  # cents
    innovation_names: dict[str, str]  # code -> Chinese name
    innovation_cap: int

    tax_formula: str
    tax_year_offsets: tuple[int, ...]
    tax_threshold: int | Fraction  # an int when whole: comparing ints and floats is cheaper
    tax_points_per_year: int  # cents (per_year)
    tax_points: int  # cents (average)
    tax_cap: int
    tax_offence_points: int

    age_bands: tuple[tuple[int, int], ...]  # (highest age, cents)
    age_otherwise: int

    honours_points: int
    honour_codes: dict[str, str]  # code -> Chinese name
    law_detention_points: int

    districts: tuple[str, ...]  # in the official order
    district_set: frozenset[str]  # the same, for quick membership tests
    central_districts: frozenset[str]

    ranking_method: str
    quota: int  # 0 under a method without a quota (threshold)
    ranking: RankingRule

    references: dict[str, str]
    indicator_names: dict[str, str]  # Chinese
    housing_kind_names: dict[str, str]  # kind -> Chinese name, in HOUSING_KINDS order
    level_names: dict[str, str]  # education level (tier) -> Chinese name, in tier order
    degree_names: dict[str, str]  # degree -> Chinese name, in DEGREES order

    def dates(self, year: int) -> RoundDates:
        return _round_dates(self, year)

    def cap_rounding_for(self, year: int) -> str:
        mode = self.cap_rounding[0][1]
        for from_year, candidate in self.cap_rounding:
            if year >= from_year:
                mode = candidate
        return mode


@cache
def _round_dates(rule_set: RuleSet, year: int) -> RoundDates:
    cy, cm, _ = rule_set.cutoff.resolve(year)
    ls = rule_set.lookback_start.resolve(year)
    le = rule_set.lookback_end.resolve(year)
    ar = rule_set.age_reference.resolve(year)
    return RoundDates(
        year=year,
        cutoff=cy * 12 + cm - 1,
        age_reference=ar,
        lookback_start=ls[0] * 10000 + ls[1] * 100 + ls[2],
        lookback_end=le[0] * 10000 + le[1] * 100 + le[2],
        cap_rounding=rule_set.cap_rounding_for(year),
        age_reference_label=_date_label(ar),
        lookback_label=f"{_date_label(ls)}..{_date_label(le)}",
    )


def _date_label(ymd: tuple[int, int, int]) -> str:
    return f"{ymd[0]:04d}-{ymd[1]:02d}-{ymd[2]:02d}"


def _offset_date(table: dict[str, Any], where: str) -> YearOffsetDate:
    try:
        return YearOffsetDate(
            int(table["year_offset"]), int(table["month"]), int(table.get("day", 1))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleSetError(f"{where}: expected {{year_offset, month, day}}") from exc


def _read(name: str) -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath("rulesets", f"{name}.toml").read_text("utf-8")
    except FileNotFoundError:
        raise RuleSetError(f"unknown rule set {name!r}") from None
    data = tomllib.loads(text)
    parent = data.pop("extends", None)
    if parent:
        data = _merge(_read(parent), data)
    return data


def compile_rule_set(data: dict[str, Any]) -> RuleSet:
    """Check a merged rule-set table and compile it; errors name the offending key."""
    rid = data["id"]
    ind = data["indicators"]
    dates = data["dates"]
    elig = data["eligibility"]
    housing = ind["housing"]
    tax = ind["tax"]
    area = ind["area"]
    edu = ind["education"]

    employment_rate = _fraction(
        ind["employment"]["points_per_month"], "employment.points_per_month"
    )
    housing_rate = {
        kind: _fraction(housing["points_per_month"][kind], f"housing.points_per_month.{kind}")
        for kind in HOUSING_KINDS
    }
    cap_rate = _fraction(housing["cap_per_insured_month"], "housing.cap_per_insured_month")
    rates = [employment_rate, cap_rate, *housing_rate.values()]
    denominator = math.lcm(*(r.denominator for r in rates))

    precedence = tuple(housing["precedence"])
    if sorted(precedence) != sorted(HOUSING_KINDS):
        raise RuleSetError(f"{rid}: housing.precedence must order {HOUSING_KINDS}")
    cap_rounding = tuple(
        sorted((int(row["from_year"]), str(row["mode"])) for row in housing["cap_rounding"])
    )
    for _, mode in cap_rounding:
        if mode not in ROUNDING_MODES:
            raise RuleSetError(f"{rid}: housing.cap_rounding: unknown mode {mode!r}")
    try:
        ranking = parse_ranking(data["ranking"], _cents)
    except (ValueError, KeyError, TypeError) as exc:
        raise RuleSetError(f"{rid}: {exc}") from exc
    if tax["formula"] not in ("per_year", "average"):
        raise RuleSetError(f"{rid}: tax.formula must be per_year or average")
    tiers = tuple(edu["tiers"])
    items = {code: item for code, item in data["innovation_items"].items() if code != "reference"}
    districts = tuple(data["districts"]["all"])
    if len(set(districts)) != len(districts):
        raise RuleSetError(f"{rid}: districts.all lists a district twice")
    if not set(data["districts"]["central"]) <= set(districts):
        raise RuleSetError(f"{rid}: districts.central must be among districts.all")
    kind_names = _names(housing["kind_names"], HOUSING_KINDS, f"{rid}: housing.kind_names")
    level_names = _names(edu["level_names"], tiers, f"{rid}: education.level_names")
    degree_names = _names(edu["degree_names"], DEGREES, f"{rid}: education.degree_names")

    return RuleSet(
        id=rid,
        version=str(data["version"]),
        title=data["title"],
        first_year=int(data["first_year"]),
        reference=data["reference"],
        cutoff=_offset_date(dates["cutoff"], "dates.cutoff"),
        age_reference=_offset_date(dates["age_reference"], "dates.age_reference"),
        earliest_month=parse_month(dates["earliest_month"]),
        lookback_start=_offset_date(dates["lookback_start"], "dates.lookback_start"),
        lookback_end=_offset_date(dates["lookback_end"], "dates.lookback_end"),
        residence_permit_required=bool(elig["residence_permit_required"]),
        criminal_record_excludes=bool(elig["criminal_record_excludes"]),
        retirement_age={k: int(v) for k, v in elig["retirement_age"].items()},
        continuity_months=int(elig["continuity_months"]),
        continuity_max_back_paid=int(elig["continuity_max_back_paid"]),
        denominator=denominator,
        employment_rate=employment_rate,
        employment_num=int(employment_rate * denominator),
        housing_precedence=precedence,
        housing_rate=housing_rate,
        housing_num={k: int(r * denominator) for k, r in housing_rate.items()},
        housing_cap_rate=cap_rate,
        housing_cap_num=int(cap_rate * denominator),
        cap_rounding=cap_rounding,
        education_tiers=tiers,
        education_with={t: _cents(edu["with"][t], f"education.with.{t}") for t in tiers},
        education_alone={t: _cents(edu["alone"][t], f"education.alone.{t}") for t in tiers},
        study_cap_by_points={
            _cents(k, "study_deduction.cap_by_points"): _cents(
                v, f"study_deduction.cap_by_points.{k}"
            )
            for k, v in ind["study_deduction"]["cap_by_points"].items()
        },
        study_full_time_only=bool(ind["study_deduction"]["full_time_only"]),
        area_from=parse_month(area["from_month"]),
        area_home_kinds=frozenset(area["home_kinds"]),
        area_both_per_year=_cents(
            area["both_out_points_per_year"], "area.both_out_points_per_year"
        ),
        area_home_per_year=_cents(
            area["home_out_points_per_year"], "area.home_out_points_per_year"
        ),
        area_both_cap=_cents(area["both_out_cap"], "area.both_out_cap"),
        area_home_cap=_cents(area["home_out_cap"], "area.home_out_cap"),
        area_cap=_cents(area["cap"], "area.cap"),
        area_require_home_out_at_cutoff=bool(area["require_home_out_at_cutoff"]),
        innovation_items={
            code: _cents(item["points"], f"innovation_items.{code}.points")
            for code, item in items.items()
        },
        innovation_names={
            code: _name(item, f"innovation_items.{code}") for code, item in items.items()
        },
        innovation_cap=_cents(ind["innovation"]["cap"], "innovation.cap"),
        tax_formula=tax["formula"],
        tax_year_offsets=tuple(int(o) for o in tax["year_offsets"]),
        tax_threshold=_whole_if_possible(_fraction(tax["threshold_yuan"], "tax.threshold_yuan")),
        tax_points_per_year=_cents(tax.get("points_per_year", 0), "tax.points_per_year"),
        tax_points=_cents(tax.get("points", 0), "tax.points"),
        tax_cap=_cents(tax["cap"], "tax.cap"),
        tax_offence_points=_cents(tax["offence_points"], "tax.offence_points"),
        age_bands=tuple((int(a), _cents(p, "age.bands")) for a, p in ind["age"]["bands"]),
        age_otherwise=_cents(ind["age"]["otherwise"], "age.otherwise"),
        honours_points=_cents(ind["honours"]["points"], "honours.points"),
        honour_codes=dict(ind["honours"]["codes"]),
        law_detention_points=_cents(ind["law"]["detention_points"], "law.detention_points"),
        districts=districts,
        district_set=frozenset(districts),
        central_districts=frozenset(data["districts"]["central"]),
        ranking_method=ranking.method,
        quota=ranking.quota or 0,
        ranking=ranking,
        references={code: ind[code]["reference"] for code in INDICATORS},
        indicator_names={code: _name(ind[code], f"indicators.{code}") for code in INDICATORS},
        housing_kind_names=kind_names,
        level_names=level_names,
        degree_names=degree_names,
    )


def _name(table: dict[str, Any], where: str) -> str:
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RuleSetError(f"{where}: needs a Chinese name")
    return name


def _names(table: dict[str, str], codes: tuple[str, ...], where: str) -> dict[str, str]:
    """The Chinese name of each code, in the order of ``codes``; every code named, no other."""
    if set(table) != set(codes) or not all(isinstance(v, str) and v for v in table.values()):
        raise RuleSetError(f"{where} must name exactly {', '.join(codes)}")
    return {code: table[code] for code in codes}


@cache
def load_rule_set(name: str) -> RuleSet:
    """The rule set called ``name`` (e.g. ``beijing-2020``), compiled; cached."""
    try:
        return compile_rule_set(_read(name))
    except KeyError as exc:
        raise RuleSetError(f"{name}: missing key {exc.args[0]!r} in the rule set data") from exc


@cache
def available_rule_sets() -> tuple[str, ...]:
    folder = resources.files(__package__).joinpath("rulesets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def newest_rule_set() -> RuleSet:
    """The rule set that starts latest (used for code tables when a profile names none)."""
    return max((load_rule_set(n) for n in available_rule_sets()), key=lambda rs: rs.first_year)


@cache
def rule_set_name_for_year(year: int) -> str:
    """The rule set in force for a year: the newest whose first year is not after it."""
    best: RuleSet | None = None
    for name in available_rule_sets():
        rs = load_rule_set(name)
        if rs.first_year <= year and (best is None or rs.first_year > best.first_year):
            best = rs
    if best is None:
        earliest = min(load_rule_set(n).first_year for n in available_rule_sets())
        raise RuleSetError(f"no rule set for application year {year} (the earliest is {earliest})")
    return best.id


def rule_set_variant(name: str, changes: dict[tuple[str | int, ...], Any]) -> RuleSet:
    """A copy of rule set ``name`` with some values changed, compiled in memory (what-if).

    Each key of ``changes`` is a path into the merged rule-set table (``("indicators",
    "honours", "points")``, list positions as ints); the path must exist. The copy's id is the
    name with a "*" and its version ends in "-variant", so its results are never mistaken for
    the rule set's own.
    """
    data = copy.deepcopy(_read(name))
    for path, value in changes.items():
        node: Any = data
        for step in path[:-1]:
            node = node[step]
        if isinstance(node, dict) and path[-1] not in node:
            raise RuleSetError(f"{name}: no value at {'.'.join(map(str, path))}")
        node[path[-1]] = value
    data["id"] = f"{name}*"
    data["version"] = f"{data['version']}-variant"
    try:
        return compile_rule_set(data)
    except (KeyError, IndexError, TypeError) as exc:
        raise RuleSetError(f"{name}: the changed rule set is inconsistent: {exc}") from exc


def rule_set_table(name: str) -> dict[str, Any]:
    """The merged data table of rule set ``name`` (a copy: the caller may change it)."""
    return copy.deepcopy(_read(name))
