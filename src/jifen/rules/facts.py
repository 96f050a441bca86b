"""The facts behind a score: what each indicator and each eligibility reason rests on, as data.

Scoring (``scoring.score``) records one *fact* per indicator (``Breakdown.facts[code]``) and
one per failed eligibility condition (``Breakdown.reason_facts``); the English of the result
format (``render_en``: the ``basis`` and ``reasons`` of ``jifen.result/1``) and the Chinese of
the pages (``render_zh``) are both written from them, so neither language is ever parsed back.

A fact is a plain dict of JSON values (``orjson.dumps`` takes it as it is; tuples become
arrays) whose ``kind`` names its shape; the rows of a list inside a fact are arrays whose
items are in the order given below (cheaper to build than a dict per row, and a batch builds
millions). Facts are shared between profiles where they do not
depend on the profile ("no honour", the look-back window of a round): never modify one.

Conventions: months are ``"YYYY-MM"``, dates ``"YYYY-MM-DD"``, a span ``[first, last]`` both
included; points are integer cents (``1200`` is 12.00 points) in keys named ``cents`` or
ending in ``_cents``; a rate is an exact fraction as text (``"1/4"``, ``"1/12"``); codes
(``home``, ``level``, ``degree``, ``code``) are the profile's and the rule set's, whose
Chinese names live in the rule set.

Indicator facts (``kind``: keys):

- ``employment``: ``months`` counted, ``rate`` a month, ``back_paid`` months that earn nothing,
  ``window`` the counting span (the earliest month to the cut-off).
- ``housing``: ``homes`` — ``[[home, months, rate, cents], ...]`` per kind of home with
  months, in precedence order (empty: no housing months) — and ``cap``: null, or when the cap
  applies ``{insured_months, rate, cents, rounding}`` (``rounding``: ``half_up`` or
  ``ceiling``).
- ``education.none``: no record scores.
- ``education``: the scoring record's ``level`` and ``degree`` (each a code or null),
  ``full_time``, ``study`` span, ``cents``.
- ``study_deduction.none``: no education points, nothing to deduct.
- ``study_deduction.part_time``: the scoring record is part-time, nothing deducted.
- ``study_deduction``: ``study`` span; ``insured_months`` and their ``rate``; ``homes``
  ``[[home, months, rate], ...]`` in precedence order; ``cap_cents`` the record's cap; ``capped``
  whether the exact sum reached it; ``cents`` the points deducted (positive).
- ``area.none``: ``home_kinds`` (the kinds of home that count, in precedence order) and
  ``month``, the cut-off month in which no such home lies outside the six central districts.
- ``area``: ``both_months``/``both_years``/``both_per_year_cents``/``both_cents`` (home and
  job outside the centre), ``home_months``/``home_years``/``home_per_year_cents``/
  ``home_cents`` (home only), ``cap_cents``, ``window`` (the months counted).
- ``innovation.none``: no item.
- ``innovation``: the best item's ``code`` and the ``cents`` it earns (capped).
- ``tax.per_year``: ``years`` ``[[year, amount, reached], ...]`` (``amount`` in yuan as
  declared, null when missing; ``reached``: at least the threshold), ``threshold`` (yuan),
  ``qualifying`` years, ``per_year_cents``,
  ``offences``.
- ``tax.average``: ``years`` ``[first, last]``, ``average`` (yuan, 2 decimals),
  ``threshold``, ``reached``, ``offences``.
- ``tax.not_declared``: ``missing`` years (the average needs every year), ``offences``.
  ``offences`` (in the three tax kinds): null, or ``{count, window, each_cents}`` for tax
  offences dated in the look-back ``window`` (dates).
- ``age``: ``age`` in completed years ``on`` the reference date, ``cents``.
- ``honours.none``: no honour.
- ``honours``: the first honour's ``code``, ``cents`` (one counts, not cumulative).
- ``law``: ``count`` administrative detentions in the look-back ``window`` (dates),
  ``each_cents``.

Eligibility facts (one per failed condition, in this order):

- ``eligibility.residence_permit``: no valid Beijing residence permit.
- ``eligibility.retirement``: ``age`` ``on`` the reference date is not below ``limit`` for
  ``group`` (the rule set's ``retirement_age`` key: ``M``, ``F`` or ``F_cadre``).
- ``eligibility.continuity``: of the ``months`` months of ``window``, ``not_covered`` are
  covered by no insurance record, the first being ``first_gap``.
- ``eligibility.back_paid``: ``back_paid`` months of ``window`` were back-paid, more than
  ``max``.
- ``eligibility.criminal_record``: a criminal record.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Fact = dict[str, Any]

BASIS_KINDS = (
    "employment",
    "housing",
    "education.none",
    "education",
    "study_deduction.none",
    "study_deduction.part_time",
    "study_deduction",
    "area.none",
    "area",
    "innovation.none",
    "innovation",
    "tax.per_year",
    "tax.average",
    "tax.not_declared",
    "age",
    "honours.none",
    "honours",
    "law",
)
REASON_KINDS = (
    "eligibility.residence_permit",
    "eligibility.retirement",
    "eligibility.continuity",
    "eligibility.back_paid",
    "eligibility.criminal_record",
)


class _Memo(dict):  # type: ignore[type-arg]
    """A memo table: ``table[key]`` computes and keeps what it lacks.

    A batch names few distinct values, and a hit is a plain subscription (no call).
    """

    __slots__ = ("_make",)

    def __init__(self, make: Any) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: Any) -> str:
        value = self[key] = self._make(key)
        return value


def _points(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _short_points(cents: int) -> str:
    return POINTS[cents].rstrip("0").rstrip(".")


def _rate(fraction: str) -> str:
    value = Fraction(fraction)
    return SHORT_POINTS[int(value * 100)] if 100 % value.denominator == 0 else str(value)


# Points with two decimals: POINTS[1200] == "12.00", POINTS[-1021] == "-10.21".
POINTS: dict[int, str] = _Memo(_points)
# Points without trailing zeros: SHORT_POINTS[1050] == "10.5", SHORT_POINTS[2000] == "20".
SHORT_POINTS: dict[int, str] = _Memo(_short_points)
# A rate as written: RATES["1/4"] == "0.25" (an exact short decimal), RATES["1/12"] == "1/12".
RATES: dict[str, str] = _Memo(_rate)
