"""The optimistic reader: builds a Profile from a valid profile at a fraction of the cost.

Nearly every profile in a batch is valid, so this reader checks the same rules as
``profile.validate_profile`` with none of its bookkeeping and gives up (returns None) at the
first doubt; the full validator then runs and names every problem. The two must accept exactly
the same profiles and build the same Profile — ``tests/rules/test_profile_fast.py`` checks that
on valid and mutated profiles.
"""

from __future__ import annotations

import math
from typing import Any

from .identity import check_digit
from .months import _INDEX, parse_month
from .ruleset import (
    HOUSING_KINDS,
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
)
from .schema import (
    _EDUCATION_KEYS,
    _EMPLOYMENT_KEYS,
    _HOUSING_KEYS,
    _INSURANCE_KEYS,
    _PERSON_KEYS,
    _TOP_KEYS,
    _VIOLATION_KEYS,
    DEGREES,
    PROFILE_FORMAT,
    VIOLATION_KINDS,
    Profile,
    parse_date,
)

_DATES: dict[str, tuple[int, int, int]] = {}


class _Doubt(Exception):
    pass


def _month(text: Any) -> int:
    index = _INDEX.get(text)
    return parse_month(text) if index is None else index


def _date(text: Any) -> tuple[int, int, int]:
    parsed = _DATES.get(text)
    if parsed is None:
        if type(text) is not str:
            raise _Doubt
        parsed = _DATES[text] = parse_date(text)
    return parsed


def _span(rec: dict[str, Any]) -> tuple[int, int]:
    first = _month(rec["from"])
    last = _month(rec["to"])
    if first > last:
        raise _Doubt
    return first, last


def _records(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, ())
    if type(value) is not list and value != ():
        raise _Doubt
    return value  # type: ignore[return-value]


def read_profile_fast(data: Any, rule_set: str | None = None) -> Profile | None:
    """The Profile of a valid profile, or None when anything is doubtful."""
    try:
        return _read(data, rule_set)
    except (_Doubt, KeyError, TypeError, ValueError, AttributeError, RuleSetError):
        return None


def _read(data: Any, rule_set: str | None) -> Profile:
    if type(data) is not dict or not _TOP_KEYS.issuperset(data):
        raise _Doubt
    if data["format"] != PROFILE_FORMAT:
        raise _Doubt
    year = data["application_year"]
    if type(year) is not int or not 1990 <= year <= 2200:
        raise _Doubt
    name = rule_set
    if name is None and "rule_set" in data:
        name = data["rule_set"]
        if type(name) is not str:
            raise _Doubt
    if name is None:
        name = rule_set_name_for_year(year)
    elif name not in available_rule_sets():
        raise _Doubt
    rs = load_rule_set(name)
    dates = rs.dates(year)

    p = Profile()
    p.year = year
    p.rule_set = rs
    p.dates = dates
    app_no = data.get("application_no")
    if app_no is not None and type(app_no) is not str:
        raise _Doubt
    p.application_no = app_no

    person = data["person"]
    if type(person) is not dict or not _PERSON_KEYS.issuperset(person):
        raise _Doubt
    id_number = person["id_number"]
    if type(id_number) is not str or len(id_number) != 18:
        raise _Doubt
    if id_number[17] == "x":
        id_number = id_number[:17] + "X"
    first17 = id_number[:17]
    if not (first17.isdigit() and first17.isascii()) or check_digit(first17) != id_number[17]:
        raise _Doubt
    p.id_number = id_number
    person_name = person.get("name")
    if person_name is not None and type(person_name) is not str:
        raise _Doubt
    p.name = person_name
    sex = person["sex"]
    if sex != ("M" if (ord(id_number[16]) - 48) % 2 else "F") or type(sex) is not str:
        raise _Doubt
    p.sex = sex
    birth_text = person["birth_date"]
    birth = _date(birth_text)
    if birth_text[:4] != id_number[6:10] or birth_text[5:7] != id_number[10:12]:
        raise _Doubt
    if birth_text[8:] != id_number[12:14]:
        raise _Doubt
    cutoff_year, cutoff_month = divmod(dates.cutoff, 12)
    if (birth[0], birth[1]) > (cutoff_year, cutoff_month + 1):
        raise _Doubt
    p.birth = birth
    cadre = person.get("female_cadre", False)
    permit = person["residence_permit"]
    criminal = person["criminal_record"]
    if type(cadre) is not bool or type(permit) is not bool or type(criminal) is not bool:
        raise _Doubt
    p.female_cadre, p.residence_permit, p.criminal_record = cadre, permit, criminal

    insurance = []
    for rec in _records(data, "social_insurance"):
        if type(rec) is not dict or not _INSURANCE_KEYS.issuperset(rec):
            raise _Doubt
        first, last = _span(rec)
        back = rec.get("back_paid")
        if back:
            if type(back) is not list:
                raise _Doubt
            months = []
            for text in back:
                if type(text) is not str:
                    raise _Doubt
                month = _month(text)
                if not first <= month <= last:
                    raise _Doubt
                months.append(month)
            insurance.append((first, last, tuple(months)))
        else:
            if back is not None and type(back) is not list:
                raise _Doubt
            insurance.append((first, last, ()))
    p.insurance = insurance

    districts = rs.districts
    housing = []
    for rec in _records(data, "housing"):
        if type(rec) is not dict or not _HOUSING_KEYS.issuperset(rec):
            raise _Doubt
        kind = rec["kind"]
        district = rec["district"]
        if type(kind) is not str or kind not in HOUSING_KINDS or district not in districts:
            raise _Doubt
        first, last = _span(rec)
        housing.append((kind, first, last, district))
    p.housing = housing

    employment = []
    for rec in _records(data, "employment"):
        if type(rec) is not dict or not _EMPLOYMENT_KEYS.issuperset(rec):
            raise _Doubt
        district = rec["district"]
        if district not in districts:
            raise _Doubt
        first, last = _span(rec)
        employment.append((first, last, district))
    p.employment = employment

    tiers = rs.education_tiers
    education = []
    for rec in _records(data, "education"):
        if type(rec) is not dict or not _EDUCATION_KEYS.issuperset(rec):
            raise _Doubt
        level = rec["level"]
        degree = rec["degree"]
        full_time = rec["full_time"]
        if level is not None and (type(level) is not str or level not in tiers):
            raise _Doubt
        if degree is not None and (type(degree) is not str or degree not in DEGREES):
            raise _Doubt
        if type(full_time) is not bool:
            raise _Doubt
        first, last = _span(rec)
        education.append((level, degree, full_time, first, last))
    p.education = education

    items = rs.innovation_items
    innovation = _records(data, "innovation")
    for code in innovation:
        if type(code) is not str or code not in items:
            raise _Doubt
    p.innovation = list(innovation)
    honours = _records(data, "honours")
    for code in honours:
        if type(code) is not str or code not in rs.honour_codes:
            raise _Doubt
    p.honours = list(honours)

    tax: dict[int, int | float] = {}
    if "tax" in data:
        raw_tax = data["tax"]
        if type(raw_tax) is not dict:
            raise _Doubt
        for key, amount in raw_tax.items():
            if len(key) != 4 or not (key.isdigit() and key.isascii()):
                raise _Doubt
            kind_of = type(amount)
            if kind_of is int:
                if amount < 0:
                    raise _Doubt
            elif kind_of is not float or not (amount >= 0 and math.isfinite(amount)):
                raise _Doubt
            tax[int(key)] = amount
    p.tax = tax

    violations = []
    for rec in _records(data, "violations"):
        if type(rec) is not dict or not _VIOLATION_KEYS.issuperset(rec):
            raise _Doubt
        kind = rec["kind"]
        if type(kind) is not str or kind not in VIOLATION_KINDS:
            raise _Doubt
        y, m, d = _date(rec["date"])
        violations.append((kind, y * 10000 + m * 100 + d))
    p.violations = violations
    return p
