"""The applicant profile (``jifen.profile/1``): reading and validation.

Validation collects every problem, each named by its field path
(``housing[1].district: unknown district '通县'``), and never lets an unknown key through, so
that a misspelt field is never silently scored as zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .identity import birth_date_of, identity_problem, sex_of
from .months import parse_month
from .ruleset import (
    HOUSING_KINDS,
    RoundDates,
    RuleSet,
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    newest_rule_set,
    rule_set_name_for_year,
)
from .schema import (
    DEGREES,
    EDUCATION_KEYS,
    EMPLOYMENT_KEYS,
    HOUSING_KEYS,
    INSURANCE_KEYS,
    PERSON_KEYS,
    PROFILE_FORMAT,
    TOP_KEYS,
    VIOLATION_KEYS,
    VIOLATION_KINDS,
    Profile,
    ProfileError,
    parse_date,
)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Checker:
    """Accumulates errors while reading one profile."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def keys(self, obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
        if not allowed.issuperset(obj):
            for key in obj:
                if key not in allowed:
                    self.add(f"{path}.{key}" if path else key, "unknown field")

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if type(value) is dict:
            return value
        self.add(path, f"expected an object, got {_type_name(value)}")
        return None

    def list(self, parent: dict[str, Any], key: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            if key in parent:
                self.add(key, "expected a list, got null")
            return []
        if type(value) is not list:
            self.add(key, f"expected a list, got {_type_name(value)}")
            return []
        return value

    def bool(self, obj: dict[str, Any], key: str, path: str, default: bool | None = None) -> bool:
        value = obj.get(key)
        if type(value) is bool:
            return value
        if value is None and key not in obj:
            if default is not None:
                return default
            self.add(f"{path}.{key}", "is required")
            return False
        self.add(f"{path}.{key}", f"expected true or false, got {_type_name(value)}")
        return False

    def string(self, obj: dict[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if type(value) is str:
            return value
        if key not in obj:
            self.add(f"{path}.{key}", "is required")
        else:
            self.add(f"{path}.{key}", f"expected a string, got {_type_name(value)}")
        return None

    def month(self, obj: dict[str, Any], key: str, path: str) -> int | None:
        text = self.string(obj, key, path)
        if text is None:
            return None
        try:
            return parse_month(text)
        except ValueError as exc:
            self.add(f"{path}.{key}", str(exc))
            return None

    def span(self, obj: dict[str, Any], path: str) -> tuple[int, int] | None:
        first = self.month(obj, "from", path)
        last = self.month(obj, "to", path)
        if first is None or last is None:
            return None
        if first > last:
            self.add(f"{path}.from", f"{obj['from']} is after to {obj['to']}")
            return None
        return first, last


def _choose_rule_set(
    c: _Checker, data: dict[str, Any], year: int | None, explicit: str | None
) -> RuleSet | None:
    own = data.get("rule_set")
    if "rule_set" in data and type(own) is not str:
        c.add("rule_set", f"expected a string, got {_type_name(own)}")
        return None
    # The caller's choice (a round's setting, --rule-set) wins over the profile's own.
    name = explicit if explicit is not None else own
    if name is not None:
        if name not in available_rule_sets():
            known = ", ".join(available_rule_sets())
            c.add("rule_set", f"unknown rule set {name!r} (known: {known})")
            return None
        return load_rule_set(name)
    if year is None:
        return None
    try:
        return load_rule_set(rule_set_name_for_year(year))
    except RuleSetError as exc:
        c.add("application_year", str(exc))
        return None


def validate_profile(data: Any, rule_set: str | None = None) -> Profile:
    """Read a profile (parsed JSON) into a :class:`Profile`, or raise :class:`ProfileError`.

    ``rule_set`` names a rule set that overrides both the profile's and the year's.
    """
    c = _Checker()
    if type(data) is not dict:
        raise ProfileError([f"profile: expected a JSON object, got {_type_name(data)}"])
    c.keys(data, TOP_KEYS, "")
    fmt = data.get("format")
    if fmt != PROFILE_FORMAT:
        c.add(
            "format",
            f"expected {PROFILE_FORMAT!r}, got {fmt!r}" if "format" in data else "is required",
        )

    year = data.get("application_year")
    if type(year) is not int:
        c.add(
            "application_year",
            f"expected a whole year, got {_type_name(year)}"
            if "application_year" in data
            else "is required",
        )
        year = None
    elif not 1990 <= year <= 2200:
        c.add("application_year", f"{year} is not a plausible year")
        year = None

    rs = _choose_rule_set(c, data, year, rule_set)
    # Code tables (districts, items) still get checked with the newest rule set when the
    # profile's own cannot be determined, so that one run reports every problem.
    tables = rs or newest_rule_set()
    dates = rs.dates(year) if rs is not None and year is not None else None

    p = Profile()
    p.year = year or 0
    p.rule_set = tables
    p.dates = dates  # type: ignore[assignment]

    app_no = data.get("application_no")
    if app_no is not None and type(app_no) is not str:
        c.add("application_no", f"expected a string, got {_type_name(app_no)}")
        app_no = None
    p.application_no = app_no

    _read_person(c, data, p, dates)
    _read_records(c, data, p, tables)

    if c.errors:
        raise ProfileError(c.errors)
    return p


def _read_person(c: _Checker, data: dict[str, Any], p: Profile, dates: RoundDates | None) -> None:
    person = c.obj(data.get("person"), "person") if "person" in data else None
    if "person" not in data:
        c.add("person", "is required")
    p.id_number, p.name, p.sex, p.birth = "", None, "M", (1900, 1, 1)
    p.female_cadre = p.residence_permit = p.criminal_record = False
    if person is None:
        return
    c.keys(person, PERSON_KEYS, "person")

    id_number = c.string(person, "id_number", "person")
    if id_number is not None:
        if len(id_number) == 18 and id_number[17] == "x":
            id_number = id_number[:17] + "X"
        problem = identity_problem(id_number)
        if problem:
            c.add("person.id_number", problem)
            id_number = None
        else:
            p.id_number = id_number

    name = person.get("name")
    if name is not None and type(name) is not str:
        c.add("person.name", f"expected a string, got {_type_name(name)}")
    p.name = name if type(name) is str else None

    sex = c.string(person, "sex", "person")
    if sex is not None:
        if sex not in ("M", "F"):
            c.add("person.sex", f"expected 'M' or 'F', got {sex!r}")
        else:
            p.sex = sex
            if id_number is not None and sex_of(id_number) != sex:
                c.add("person.sex", f"{sex!r} does not agree with the identity number")

    birth = c.string(person, "birth_date", "person")
    if birth is not None:
        try:
            p.birth = parse_date(birth)
        except ValueError as exc:
            c.add("person.birth_date", str(exc))
        else:
            if id_number is not None and birth_date_of(id_number) != birth:
                c.add(
                    "person.birth_date",
                    f"{birth} does not agree with the identity number ({birth_date_of(id_number)})",
                )
            if dates is not None:
                by, bm, _ = p.birth
                cutoff_year, cutoff_month = divmod(dates.cutoff, 12)
                if (by, bm) > (cutoff_year, cutoff_month + 1):
                    c.add("person.birth_date", f"{birth} is after the statistics cut-off")

    p.female_cadre = c.bool(person, "female_cadre", "person", default=False)
    p.residence_permit = c.bool(person, "residence_permit", "person")
    p.criminal_record = c.bool(person, "criminal_record", "person")


def _read_records(c: _Checker, data: dict[str, Any], p: Profile, rs: RuleSet) -> None:
    p.insurance = []
    for path, rec in _records(c, data, "social_insurance", INSURANCE_KEYS):
        span = c.span(rec, path)
        back: list[int] = []
        raw_back = rec.get("back_paid")
        if raw_back is not None and type(raw_back) is not list:
            c.add(f"{path}.back_paid", f"expected a list, got {_type_name(raw_back)}")
        elif raw_back:
            for j, text in enumerate(raw_back):
                bpath = f"{path}.back_paid[{j}]"
                if type(text) is not str:
                    c.add(bpath, f"expected a month YYYY-MM, got {_type_name(text)}")
                    continue
                try:
                    m = parse_month(text)
                except ValueError as exc:
                    c.add(bpath, str(exc))
                    continue
                if span is not None and not span[0] <= m <= span[1]:
                    c.add(bpath, f"{text} is outside the record ({rec['from']}..{rec['to']})")
                    continue
                back.append(m)
        if span is not None:
            p.insurance.append((span[0], span[1], tuple(back)))

    p.housing = []
    for path, rec in _records(c, data, "housing", HOUSING_KEYS):
        kind = c.string(rec, "kind", path)
        if kind is not None and kind not in HOUSING_KINDS:
            c.add(f"{path}.kind", f"unknown kind {kind!r} (owned, rented or dormitory)")
            kind = None
        district = _district(c, rec, path, rs)
        span = c.span(rec, path)
        if kind is not None and district is not None and span is not None:
            p.housing.append((kind, span[0], span[1], district))

    p.employment = []
    for path, rec in _records(c, data, "employment", EMPLOYMENT_KEYS):
        district = _district(c, rec, path, rs)
        span = c.span(rec, path)
        if district is not None and span is not None:
            p.employment.append((span[0], span[1], district))

    p.education = []
    levels = rs.education_tiers
    for path, rec in _records(c, data, "education", EDUCATION_KEYS):
        ok = True
        for key, allowed in (("level", levels), ("degree", DEGREES)):
            if key not in rec:
                c.add(f"{path}.{key}", "is required (null when there is none)")
                ok = False
            elif rec[key] is not None and rec[key] not in allowed:
                c.add(f"{path}.{key}", f"unknown {key} {rec[key]!r} ({', '.join(allowed)} or null)")
                ok = False
        full_time = c.bool(rec, "full_time", path)
        span = c.span(rec, path)
        if ok and span is not None:
            p.education.append((rec["level"], rec["degree"], full_time, span[0], span[1]))

    p.innovation = []
    for i, code in enumerate(c.list(data, "innovation")):
        if type(code) is str and code in rs.innovation_items:
            p.innovation.append(code)
        else:
            c.add(f"innovation[{i}]", f"unknown innovation item {code!r}")

    p.honours = []
    for i, code in enumerate(c.list(data, "honours")):
        if type(code) is str and code in rs.honour_codes:
            p.honours.append(code)
        else:
            c.add(f"honours[{i}]", f"unknown honour {code!r} ({', '.join(rs.honour_codes)})")

    p.tax = {}
    tax = data.get("tax")
    if tax is not None or "tax" in data:
        tax = c.obj(tax, "tax")
        for key, amount in (tax or {}).items():
            path = f"tax.{key}"
            if not (len(key) == 4 and key.isdigit() and key.isascii()):
                c.add(path, "expected a year YYYY as the key")
                continue
            if type(amount) is not int and type(amount) is not float:
                c.add(path, f"expected an amount in yuan, got {_type_name(amount)}")
            elif amount < 0 or not math.isfinite(amount):
                c.add(path, f"amount must not be negative, got {amount}")
            else:
                p.tax[int(key)] = amount

    p.violations = []
    for path, rec in _records(c, data, "violations", VIOLATION_KEYS):
        kind = c.string(rec, "kind", path)
        if kind is not None and kind not in VIOLATION_KINDS:
            c.add(f"{path}.kind", f"unknown kind {kind!r} ({', '.join(VIOLATION_KINDS)})")
            kind = None
        text = c.string(rec, "date", path)
        when = None
        if text is not None:
            try:
                y, m, d = parse_date(text)
                when = y * 10000 + m * 100 + d
            except ValueError as exc:
                c.add(f"{path}.date", str(exc))
        if kind is not None and when is not None:
            p.violations.append((kind, when))


def _records(
    c: _Checker, data: dict[str, Any], key: str, allowed: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of the list ``key``, each with its path, unknown keys reported."""
    for i, item in enumerate(c.list(data, key)):
        path = f"{key}[{i}]"
        rec = c.obj(item, path)
        if rec is not None:
            c.keys(rec, allowed, path)
            yield path, rec


def _district(c: _Checker, rec: dict[str, Any], path: str, rs: RuleSet) -> str | None:
    district = c.string(rec, "district", path)
    if district is not None and district not in rs.district_set:
        c.add(f"{path}.district", f"unknown district {district!r}")
        return None
    return district
