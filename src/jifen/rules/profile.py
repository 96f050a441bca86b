"""The applicant profile (``jifen.profile/1``): reading and validation.

Validation collects every problem, each named by its field path, as data (``problems``: a
path, a code and parameters, written in English as ``housing[1].district: unknown district
'通县'`` and in Chinese for the web), and never lets an unknown key through, so that a
misspelt field is never silently scored as zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .identity import birth_date_of, identity_issue, sex_of
from .months import MonthError, parse_month
from .problems import Problem, json_type
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
    DateError,
    Profile,
    ProfileError,
    parse_date,
)


class _Checker:
    """Accumulates problems while reading one profile."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, /, **params: Any) -> None:
        self.problems.append(Problem(path, code, params))

    def wrong_type(self, path: str, expected: str, value: Any) -> None:
        self.add(path, "wrong_type", expected=expected, got=json_type(value))

    def keys(self, obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
        if not allowed.issuperset(obj):
            for key in obj:
                if key not in allowed:
                    self.add(f"{path}.{key}" if path else key, "unknown_field")

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        if type(value) is dict:
            return value
        self.wrong_type(path, "object", value)
        return None

    def list(self, parent: dict[str, Any], key: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            if key in parent:
                self.wrong_type(key, "list", None)
            return []
        if type(value) is not list:
            self.wrong_type(key, "list", value)
            return []
        return value

    def bool(self, obj: dict[str, Any], key: str, path: str, default: bool | None = None) -> bool:
        value = obj.get(key)
        if type(value) is bool:
            return value
        if value is None and key not in obj:
            if default is not None:
                return default
            self.add(f"{path}.{key}", "required")
            return False
        self.wrong_type(f"{path}.{key}", "boolean", value)
        return False

    def string(self, obj: dict[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if type(value) is str:
            return value
        if key not in obj:
            self.add(f"{path}.{key}", "required")
        else:
            self.wrong_type(f"{path}.{key}", "string", value)
        return None

    def parsed_month(self, text: str, path: str) -> int | None:
        try:
            return parse_month(text)
        except MonthError as exc:
            self.add(path, exc.code, text=exc.text)
            return None

    def parsed_date(self, text: str, path: str) -> tuple[int, int, int] | None:
        try:
            return parse_date(text)
        except DateError as exc:
            self.add(path, exc.code, text=exc.text)
            return None

    def month(self, obj: dict[str, Any], key: str, path: str) -> int | None:
        text = self.string(obj, key, path)
        return None if text is None else self.parsed_month(text, f"{path}.{key}")

    def span(self, obj: dict[str, Any], path: str) -> tuple[int, int] | None:
        first = self.month(obj, "from", path)
        last = self.month(obj, "to", path)
        if first is None or last is None:
            return None
        if first > last:
            self.add(f"{path}.from", "from_after_to", first=obj["from"], last=obj["to"])
            return None
        return first, last


def _choose_rule_set(
    c: _Checker, data: dict[str, Any], year: int | None, explicit: str | None
) -> RuleSet | None:
    own = data.get("rule_set")
    if "rule_set" in data and type(own) is not str:
        c.wrong_type("rule_set", "string", own)
        return None
    # The caller's choice (a round's setting, --rule-set) wins over the profile's own.
    name = explicit if explicit is not None else own
    if name is not None:
        if name not in available_rule_sets():
            c.add("rule_set", "unknown_rule_set", name=name, known=list(available_rule_sets()))
            return None
        return load_rule_set(name)
    if year is None:
        return None
    try:
        return load_rule_set(rule_set_name_for_year(year))
    except RuleSetError:
        earliest = min(load_rule_set(n).first_year for n in available_rule_sets())
        c.add("application_year", "no_rule_set_for_year", year=year, earliest=earliest)
        return None


def validate_profile(data: Any, rule_set: str | None = None) -> Profile:
    """Read a profile (parsed JSON) into a :class:`Profile`, or raise :class:`ProfileError`.

    ``rule_set`` names a rule set that overrides both the profile's and the year's.
    """
    c = _Checker()
    if type(data) is not dict:
        raise ProfileError([Problem("profile", "not_an_object", {"got": json_type(data)})])
    c.keys(data, TOP_KEYS, "")
    fmt = data.get("format")
    if "format" not in data:
        c.add("format", "required")
    elif fmt != PROFILE_FORMAT:
        c.add("format", "wrong_format", expected=PROFILE_FORMAT, got=fmt)

    year = data.get("application_year")
    if type(year) is not int:
        if "application_year" in data:
            c.wrong_type("application_year", "year", year)
        else:
            c.add("application_year", "required")
        year = None
    elif not 1990 <= year <= 2200:
        c.add("application_year", "implausible_year", year=year)
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
        c.wrong_type("application_no", "string", app_no)
        app_no = None
    p.application_no = app_no

    _read_person(c, data, p, dates)
    _read_records(c, data, p, tables)

    if c.problems:
        raise ProfileError(c.problems)
    return p


def _read_person(c: _Checker, data: dict[str, Any], p: Profile, dates: RoundDates | None) -> None:
    person = c.obj(data.get("person"), "person") if "person" in data else None
    if "person" not in data:
        c.add("person", "required")
    p.id_number, p.name, p.sex, p.birth = "", None, "M", (1900, 1, 1)
    p.female_cadre = p.residence_permit = p.criminal_record = False
    if person is None:
        return
    c.keys(person, PERSON_KEYS, "person")

    id_number = c.string(person, "id_number", "person")
    if id_number is not None:
        if len(id_number) == 18 and id_number[17] == "x":
            id_number = id_number[:17] + "X"
        issue = identity_issue(id_number)
        if issue:
            c.add("person.id_number", issue[0], **issue[1])
            id_number = None
        else:
            p.id_number = id_number

    name = person.get("name")
    if name is not None and type(name) is not str:
        c.wrong_type("person.name", "string", name)
    p.name = name if type(name) is str else None

    sex = c.string(person, "sex", "person")
    if sex is not None:
        if sex not in ("M", "F"):
            c.add("person.sex", "bad_sex", sex=sex)
        else:
            p.sex = sex
            if id_number is not None and sex_of(id_number) != sex:
                c.add("person.sex", "sex_mismatch", sex=sex)

    birth = c.string(person, "birth_date", "person")
    parsed = None if birth is None else c.parsed_date(birth, "person.birth_date")
    if parsed is not None:
        p.birth = parsed
        if id_number is not None and birth_date_of(id_number) != birth:
            c.add(
                "person.birth_date",
                "birth_mismatch",
                birth=birth,
                expected=birth_date_of(id_number),
            )
        if dates is not None:
            by, bm, _ = p.birth
            cutoff_year, cutoff_month = divmod(dates.cutoff, 12)
            if (by, bm) > (cutoff_year, cutoff_month + 1):
                c.add("person.birth_date", "birth_after_cutoff", birth=birth)

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
            c.wrong_type(f"{path}.back_paid", "list", raw_back)
        elif raw_back:
            for j, text in enumerate(raw_back):
                bpath = f"{path}.back_paid[{j}]"
                if type(text) is not str:
                    c.wrong_type(bpath, "month", text)
                    continue
                m = c.parsed_month(text, bpath)
                if m is None:
                    continue
                if span is not None and not span[0] <= m <= span[1]:
                    c.add(bpath, "back_paid_outside", month=text, first=rec["from"], last=rec["to"])
                    continue
                back.append(m)
        if span is not None:
            p.insurance.append((span[0], span[1], tuple(back)))

    p.housing = []
    for path, rec in _records(c, data, "housing", HOUSING_KEYS):
        kind = c.string(rec, "kind", path)
        if kind is not None and kind not in HOUSING_KINDS:
            c.add(f"{path}.kind", "unknown_housing_kind", kind=kind, names=rs.housing_kind_names)
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
        for key, allowed, names in (
            ("level", levels, rs.level_names),
            ("degree", DEGREES, rs.degree_names),
        ):
            if key not in rec:
                c.add(f"{path}.{key}", "required_or_null")
                ok = False
            elif rec[key] is not None and rec[key] not in allowed:
                c.add(
                    f"{path}.{key}",
                    f"unknown_{key}",
                    value=rec[key],
                    allowed=list(allowed),
                    names=names,
                )
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
            c.add(f"innovation[{i}]", "unknown_innovation", code=code)

    p.honours = []
    for i, code in enumerate(c.list(data, "honours")):
        if type(code) is str and code in rs.honour_codes:
            p.honours.append(code)
        else:
            c.add(
                f"honours[{i}]",
                "unknown_honour",
                code=code,
                known=list(rs.honour_codes),
                names=rs.honour_codes,
            )

    p.tax = {}
    tax = data.get("tax")
    if tax is not None or "tax" in data:
        tax = c.obj(tax, "tax")
        for key, amount in (tax or {}).items():
            path = f"tax.{key}"
            if not (len(key) == 4 and key.isdigit() and key.isascii()):
                c.add(path, "tax_year_key")
                continue
            if type(amount) is not int and type(amount) is not float:
                c.wrong_type(path, "amount", amount)
            elif amount < 0 or not math.isfinite(amount):
                c.add(path, "negative_amount", amount=amount)
            else:
                p.tax[int(key)] = amount

    p.violations = []
    for path, rec in _records(c, data, "violations", VIOLATION_KEYS):
        kind = c.string(rec, "kind", path)
        if kind is not None and kind not in VIOLATION_KINDS:
            c.add(f"{path}.kind", "unknown_violation_kind", kind=kind, known=list(VIOLATION_KINDS))
            kind = None
        text = c.string(rec, "date", path)
        when = None
        parsed = None if text is None else c.parsed_date(text, f"{path}.date")
        if parsed is not None:
            y, m, d = parsed
            when = y * 10000 + m * 100 + d
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
        c.add(f"{path}.district", "unknown_district", district=district)
        return None
    return district
