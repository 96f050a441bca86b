"""The shape of a profile: its keys and codes, the validated Profile, and ProfileError."""

from __future__ import annotations

from datetime import date

from .problems import EN, Problem
from .ruleset import DEGREES as DEGREES  # the degree codes, re-exported beside the other codes
from .ruleset import RoundDates, RuleSet

PROFILE_FORMAT = "jifen.profile/1"

TOP_KEYS = frozenset(
    {
        "format",
        "application_year",
        "rule_set",
        "application_no",
        "person",
        "social_insurance",
        "housing",
        "employment",
        "education",
        "innovation",
        "tax",
        "honours",
        "violations",
    }
)
PERSON_KEYS = frozenset(
    {
        "id_number",
        "name",
        "sex",
        "birth_date",
        "female_cadre",
        "residence_permit",
        "criminal_record",
    }
)
INSURANCE_KEYS = frozenset({"from", "to", "back_paid"})
HOUSING_KEYS = frozenset({"kind", "from", "to", "district"})
EMPLOYMENT_KEYS = frozenset({"from", "to", "district"})
EDUCATION_KEYS = frozenset({"level", "degree", "full_time", "from", "to"})
VIOLATION_KEYS = frozenset({"kind", "date"})
VIOLATION_KINDS = ("administrative_detention", "tax_offence")


class ProfileError(ValueError):
    """A profile that cannot be scored.

    ``problems`` lists every problem as data (``problems.Problem``: path, code, parameters);
    ``errors`` the same in English, ``"field.path: message"`` (the ``jifen.error/1`` lines).
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.errors = [p.text for p in problems]
        super().__init__("; ".join(self.errors))


class Profile:
    """A validated profile: months as indices, dates as YYYYMMDD integers."""

    __slots__ = (
        "application_no",
        "birth",
        "criminal_record",
        "dates",
        "education",
        "employment",
        "female_cadre",
        "honours",
        "housing",
        "id_number",
        "innovation",
        "insurance",
        "name",
        "residence_permit",
        "rule_set",
        "sex",
        "tax",
        "violations",
        "year",
    )

    year: int
    rule_set: RuleSet
    dates: RoundDates
    application_no: str | None
    id_number: str
    name: str | None
    sex: str
    birth: tuple[int, int, int]
    female_cadre: bool
    residence_permit: bool
    criminal_record: bool
    # (first month, last month, back-paid months)
    insurance: list[tuple[int, int, tuple[int, ...]]]
    # (kind, first, last, district)
    housing: list[tuple[str, int, int, str]]
    # (first, last, district)
    employment: list[tuple[int, int, str]]
    # (level, degree, full_time, first, last)
    education: list[tuple[str | None, str | None, bool, int, int]]
    innovation: list[str]
    tax: dict[int, int | float]
    honours: list[str]
    # (kind, YYYYMMDD)
    violations: list[tuple[str, int]]


class DateError(ValueError):
    """A text that is not a date: ``code`` is ``bad_date`` or ``invalid_date``."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(EN[code]({"text": text}))
        self.code = code
        self.text = text


def parse_date(text: str) -> tuple[int, int, int]:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise DateError("bad_date", text)
    try:
        parsed = date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        raise DateError("invalid_date", text) from None
    return parsed.year, parsed.month, parsed.day
