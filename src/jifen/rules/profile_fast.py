"""The optimistic reader: JSON bytes straight to a Profile, for batches.

Nearly every line of a batch is a valid profile. This reader lets msgspec decode the bytes
into typed structures in C — types, required keys and unknown keys are checked there — then
checks what only the rules know (months, districts, codes, the identity number) and gives up
(returns None) at the first doubt; the caller then runs the full validator, which names every
problem. The two must accept exactly the same profiles and build the same Profile:
``tests/rules/test_profile_fast.py`` checks that on valid and mutated profiles.
"""

from __future__ import annotations

import math

import msgspec
from msgspec import UNSET, Struct, UnsetType, field

from .identity import check_digit
from .months import MONTH_INDEX
from .ruleset import (
    HOUSING_KINDS,
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
)
from .schema import DEGREES, PROFILE_FORMAT, VIOLATION_KINDS, Profile, parse_date


class _Person(Struct, forbid_unknown_fields=True):
    id_number: str
    sex: str
    birth_date: str
    residence_permit: bool
    criminal_record: bool
    name: str | None = None
    female_cadre: bool = False


class _Insurance(Struct, forbid_unknown_fields=True):
    first: str = field(name="from")
    last: str = field(name="to")
    back_paid: list[str] | None = None


class _Housing(Struct, forbid_unknown_fields=True):
    kind: str
    district: str
    first: str = field(name="from")
    last: str = field(name="to")


class _Employment(Struct, forbid_unknown_fields=True):
    district: str
    first: str = field(name="from")
    last: str = field(name="to")


class _Education(Struct, forbid_unknown_fields=True):
    level: str | None
    degree: str | None
    full_time: bool
    first: str = field(name="from")
    last: str = field(name="to")


class _Violation(Struct, forbid_unknown_fields=True):
    kind: str
    date: str


class _Profile(Struct, forbid_unknown_fields=True):
    format: str
    application_year: int
    person: _Person
    rule_set: str | UnsetType = UNSET
    application_no: str | None = None
    social_insurance: list[_Insurance] = []
    housing: list[_Housing] = []
    employment: list[_Employment] = []
    education: list[_Education] = []
    innovation: list[str] = []
    tax: dict[str, int | float] = {}
    honours: list[str] = []
    violations: list[_Violation] = []


_decode = msgspec.json.Decoder(_Profile).decode
_DATES: dict[str, tuple[int, int, int]] = {}


class _Doubt(Exception):
    pass


def _date(text: str) -> tuple[int, int, int]:
    parsed = _DATES.get(text)
    if parsed is None:
        parsed = _DATES[text] = parse_date(text)
    return parsed


def read_profile_json(line: bytes, rule_set: str | None = None) -> Profile | None:
    """The Profile of one JSON profile, or None when anything is doubtful."""
    try:
        return _read(_decode(line), rule_set)
    except (msgspec.DecodeError, _Doubt, KeyError, ValueError, RuleSetError):
        return None


def _read(data: _Profile, rule_set: str | None) -> Profile:
    _months = MONTH_INDEX  # a subscription per month: parsed once per distinct text
    if data.format != PROFILE_FORMAT:
        raise _Doubt
    year = data.application_year
    if not 1990 <= year <= 2200:
        raise _Doubt
    name = rule_set
    if name is None and data.rule_set is not UNSET:
        name = data.rule_set
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
    p.application_no = data.application_no

    person = data.person
    id_number = person.id_number
    if len(id_number) != 18:
        raise _Doubt
    if id_number[17] == "x":
        id_number = id_number[:17] + "X"
    first17 = id_number[:17]
    if not (first17.isdigit() and first17.isascii()) or check_digit(first17) != id_number[17]:
        raise _Doubt
    p.id_number = id_number
    p.name = person.name
    sex = person.sex
    if sex != ("M" if (ord(id_number[16]) - 48) % 2 else "F"):
        raise _Doubt
    p.sex = sex
    birth_text = person.birth_date
    birth = _date(birth_text)
    if birth_text.replace("-", "") != id_number[6:14]:
        raise _Doubt
    cutoff_year, cutoff_month = divmod(dates.cutoff, 12)
    if (birth[0], birth[1]) > (cutoff_year, cutoff_month + 1):
        raise _Doubt
    p.birth = birth
    p.female_cadre = person.female_cadre
    p.residence_permit = person.residence_permit
    p.criminal_record = person.criminal_record

    insurance = []
    for rec in data.social_insurance:
        first = _months[rec.first]
        last = _months[rec.last]
        if first > last:
            raise _Doubt
        if rec.back_paid:
            months = []
            for text in rec.back_paid:
                month = _months[text]
                if not first <= month <= last:
                    raise _Doubt
                months.append(month)
            insurance.append((first, last, tuple(months)))
        else:
            insurance.append((first, last, ()))
    p.insurance = insurance

    districts = rs.district_set
    housing = []
    for rec in data.housing:
        first = _months[rec.first]
        last = _months[rec.last]
        if first > last or rec.kind not in HOUSING_KINDS or rec.district not in districts:
            raise _Doubt
        housing.append((rec.kind, first, last, rec.district))
    p.housing = housing

    employment = []
    for rec in data.employment:
        first = _months[rec.first]
        last = _months[rec.last]
        if first > last or rec.district not in districts:
            raise _Doubt
        employment.append((first, last, rec.district))
    p.employment = employment

    tiers = rs.education_tiers
    education = []
    for rec in data.education:
        level, degree = rec.level, rec.degree
        if (level is not None and level not in tiers) or (
            degree is not None and degree not in DEGREES
        ):
            raise _Doubt
        first = _months[rec.first]
        last = _months[rec.last]
        if first > last:
            raise _Doubt
        education.append((level, degree, rec.full_time, first, last))
    p.education = education

    items = rs.innovation_items
    for code in data.innovation:
        if code not in items:
            raise _Doubt
    p.innovation = data.innovation
    for code in data.honours:
        if code not in rs.honour_codes:
            raise _Doubt
    p.honours = data.honours

    tax: dict[int, int | float] = {}
    for key, amount in data.tax.items():
        if len(key) != 4 or not (key.isdigit() and key.isascii()):
            raise _Doubt
        if not amount >= 0 or (type(amount) is float and not math.isfinite(amount)):
            raise _Doubt
        tax[int(key)] = amount
    p.tax = tax

    violations = []
    for rec in data.violations:
        if rec.kind not in VIOLATION_KINDS:
            raise _Doubt
        y, m, d = _date(rec.date)
        violations.append((rec.kind, y * 10000 + m * 100 + d))
    p.violations = violations
    return p
