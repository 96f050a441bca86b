"""Rebuild applicant profiles from the published 2020 list of settled applicants.

The 2020 list gives, per settled applicant, the ten indicator scores but none of the facts
behind them. For each row this module constructs one synthetic ``jifen.profile/1`` (invented
name and identity number, insurance/housing/study records arranged month by month) that,
under the ``beijing-2020`` rules of ../shared/spec/beijing-rules.md, earns exactly the
published components. Scoring every rebuilt profile with the engine then checks the engine
against 6,032 real score breakdowns.

Pure Python, no Django. Deterministic: everything random comes from the ``random.Random``
the caller passes in.
"""

from __future__ import annotations

import bisect
import calendar
import csv
import math
import os
import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from jifen.rules import INDICATORS  # the published columns, in the published order
from jifen.rules.identity import check_digit

FILE_2020 = "beijing-settled-2020.csv"
APPLICATION_YEAR = 2020

# ---------------------------------------------------------------- rule facts used to invert
# These mirror ../shared/spec/beijing-rules.md (rule set beijing-2020, application year 2020).
# They are the *inverse* problem's inputs, kept independent of the engine on purpose: the
# test scores the rebuilt profiles with the engine, so a shared mistake would go unnoticed.


def _month(year: int, month: int) -> int:
    return year * 12 + month - 1


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


EARLIEST = _month(1998, 7)  # first month counted for insurance and housing
CUTOFF = _month(APPLICATION_YEAR - 1, 12)  # statistics cut-off month (Y-1-12)
WINDOW = CUTOFF - EARLIEST + 1  # 258 countable months in 2020
AREA_FROM = _month(2018, 1)  # job/residence months counted from here
AGE_REFERENCE = (APPLICATION_YEAR - 1, 1, 1)  # age in completed years on Y-1-01-01
TAX_YEARS = (APPLICATION_YEAR - 3, APPLICATION_YEAR - 2, APPLICATION_YEAR - 1)
LOOKBACK = ((APPLICATION_YEAR - 5, 1, 1), (APPLICATION_YEAR - 1, 12, 31))

CENTRAL = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区")
OUTER = (
    "门头沟区", "房山区", "通州区", "顺义区", "昌平区",
    "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
)  # fmt: skip
# GB/T 2260 codes of Beijing's districts, for the identity number's first six digits.
AREA_CODES = (
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119",
)  # fmt: skip

# Education points (cents) -> (level, degree, usual study length in years, usual age at the end).
EDUCATION_CHOICES: dict[int, tuple[tuple[str | None, str | None, int, int], ...]] = {
    1050: (("junior_college", None, 3, 20), ("bachelor", None, 4, 22)),
    1500: (("bachelor", "bachelor", 4, 22), ("master", None, 3, 25)),
    2600: (("master", "master", 3, 25), ("doctor", None, 4, 29)),
    3700: (("doctor", "doctor", 4, 29),),
}
# The study deduction is at most this (cents), keyed by the scoring record's points (cents).
DEDUCTION_CAP = {1050: 1050, 1500: 1400, 2600: 1050, 3700: 1050}
# A study month both insured and rented earns 0.25 + 1/24 = 7/24: every published 2020
# deduction below its cap is a multiple of it, rounded.
STUDY_MONTH = Fraction(7, 24)

AGE_BANDS = ((45, 2000), (46, 1600), (47, 1200), (48, 800), (49, 400))
AGE_OTHERWISE = 0
RETIREMENT = {"M": 60, "F": 50, "F_cadre": 55}

INNOVATION_CODES: dict[int, tuple[str, ...]] = {
    1200: ("award.national.special", "contest.national.first"),
    1100: ("award.national.first",),
    1000: ("award.national.second", "contest.national.second"),
    900: ("award.municipal.special", "contest.national.third"),
    800: ("award.municipal.first", "contest.municipal.first"),
    600: ("award.municipal.second", "contest.municipal.second", "equity.financing.40m"),
    500: ("award.municipal.third",),
    400: ("award.other.first", "contest.municipal.third", "equity.financing.20m"),
    300: ("contest.district.first",),
    200: ("award.other.second", "contest.district.second", "equity.financing.5m"),
    100: ("contest.district.third",),
}
HONOUR_CODES = ("model_worker", "moral_model", "heroic_model")
TAX_THRESHOLD = 100_000


class RebuildError(ValueError):
    """A published row for which no profile reproducing it was found; the message says why."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the published 2020 list; scores are exact decimals as published."""

    rank: int
    birth_month: str
    scores: dict[str, Decimal]
    total: Decimal

    def cents(self, code: str) -> int:
        return int(self.scores[code] * 100)


@dataclass(frozen=True, slots=True)
class TotalRow:
    """One row of a totals-only list (2018, 2021, 2023-2025)."""

    rank: int
    birth_month: str
    total: Decimal


# ---------------------------------------------------------------- reading


def repo_root() -> Path:
    """The repository root: src/jifen/published/rebuild.py is three folders below it."""
    return Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """Where the published lists are: ``$JIFEN_SHARED_DIR/data`` or ``<repo>/../shared/data``.

    ``JIFEN_SHARED_DIR`` names the shared folder (the one holding ``data/``); a folder that
    holds the CSV files directly is accepted too.
    """
    shared = os.environ.get("JIFEN_SHARED_DIR")
    if shared:
        base = Path(shared)
        return base / "data" if (base / "data").is_dir() else base
    return repo_root().parent / "shared" / "data"


def read_published_2020(path: str | Path | None = None) -> list[Row]:
    """Read the published 2020 list (rank, birth month, ten components, total)."""
    source = Path(path) if path is not None else data_dir() / FILE_2020
    rows = []
    with source.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append(
                Row(
                    rank=int(record["rank"]),
                    birth_month=record["birth_month"],
                    scores={code: Decimal(record[code]) for code in INDICATORS},
                    total=Decimal(record["total"]),
                )
            )
    return rows


def read_totals(year: int, path: str | Path | None = None) -> list[TotalRow]:
    """Read a year's published list as (rank, birth month, total); 2020 works too."""
    if path is None:
        name = FILE_2020 if year == 2020 else f"beijing-settled-{year}-totals.csv"
        path = data_dir() / name
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [
            TotalRow(int(r["rank"]), r["birth_month"], Decimal(r["total"]))
            for r in csv.DictReader(handle)
        ]


# ---------------------------------------------------------------- arithmetic


def half_up_cents(value: Fraction) -> int:
    """``value`` (≥ 0) in cents, rounded half up, exactly."""
    return math.floor(value * 100 + Fraction(1, 2))


_OWNED_CENTS = [half_up_cents(Fraction(n, 12)) for n in range(WINDOW + 1)]
_RENTED_CENTS = [half_up_cents(Fraction(n, 24)) for n in range(WINDOW + 1)]
_RENTED_BY_CENTS = {c: n for n, c in enumerate(_RENTED_CENTS)}  # strictly increasing


def housing_cents(owned: int, rented: int) -> int:
    """Raw housing value (cents): each kind rounded half up on its own, then summed."""
    return _OWNED_CENTS[owned] + _RENTED_CENTS[rented]


def housing_cap_cents(insured_months: int) -> int:
    """The 2020 housing cap: counted insurance months / 12, rounded half up."""
    return half_up_cents(Fraction(insured_months, 12))


def age_on_reference(birth: tuple[int, int, int]) -> int:
    ry, rm, rd = AGE_REFERENCE
    y, m, d = birth
    return ry - y - (1 if (m, d) > (rm, rd) else 0)


def age_points_cents(age: int) -> int:
    for limit, points in AGE_BANDS:
        if age <= limit:
            return points
    return AGE_OTHERWISE


# ---------------------------------------------------------------- the pieces of a profile


@dataclass(frozen=True, slots=True)
class _Layout:
    """Housing blocks in time order, contiguous, ending at the cut-off month:
    owned (early, central) ``a1`` months, rented ``b`` months, owned (end) ``a2`` months."""

    owned: int
    rented: int
    owned_end: int

    @property
    def owned_early(self) -> int:
        return self.owned - self.owned_end

    @property
    def start(self) -> int:
        return CUTOFF - self.owned - self.rented + 1


# Deduction cents -> numbers of insured+rented study months that show it (below any cap).
_STUDY_BY_CENTS: dict[int, list[int]] = {}
for _k in range(1, WINDOW + 1):
    _STUDY_BY_CENTS.setdefault(half_up_cents(_k * STUDY_MONTH), []).append(_k)


def _study_months(points: int, deduction: int, rng: random.Random) -> list[int]:
    """How many insured+rented study months give the deduction (cents); candidates in order."""
    if deduction == 0:
        return [0]
    if points not in DEDUCTION_CAP:
        raise RebuildError(f"deduction {deduction / 100:.2f} without scoring education")
    cap = DEDUCTION_CAP[points]
    if deduction > cap:
        raise RebuildError(f"deduction {deduction / 100:.2f} exceeds its cap {cap / 100:.2f}")
    if deduction == cap:
        # Any sum at or above the cap shows the cap; try one well above it first so that
        # the cap is exercised, then the least number of months that reaches it.
        least = math.ceil(Fraction(cap, 100) / STUDY_MONTH)
        return [least + rng.randrange(1, 13), least]
    # None found is not fatal: the slow path tries other kinds of study months.
    return _STUDY_BY_CENTS.get(deduction, [])


def _owned_end_choices(area: int, owned: int) -> tuple[int, ...]:
    """Sizes of the final owned block that give the area score, by preference.

    The final block is outside 城六区 when area > 0; any earlier owned block is central, so
    home-out months are exactly the final block's months from 2018-01 on.
    """
    if area == 0:
        # Final block central (no home-out months), or owned first and rented at the end.
        return (owned, 0) if owned else (0,)
    if area in (200, 300):  # one full year of home-out months: 12..23 of the last 24
        return (min(owned, 23), 12) if owned > 12 else (12,) if owned == 12 else ()
    # two full years (400, 500, 600)
    return (owned, 24) if owned > 24 else (24,) if owned == 24 else ()


_AREAS = (0, 200, 300, 400, 500, 600)
Layouts = list[tuple[int, int, int]]


def _layouts(
    insured: int, housing: int, cap: int, study: int, area: int
) -> tuple[Layouts, Layouts]:
    """Housing layouts ``(owned, rented, owned_end)`` that give the housing value and leave
    room for ``study`` insured rented months.

    Returns (preferred, others); for a capped row preferred are those whose raw value
    exceeds the cap, so that the cap is exercised.
    """
    if area not in _AREAS:
        raise RebuildError(
            f"area {area / 100:.2f} is not reachable in 24 months (2018-01..2019-12)"
        )
    preferred: Layouts = []
    others: Layouts = []
    capped = housing == cap
    for owned in range(WINDOW + 1):
        rest = housing - _OWNED_CENTS[owned]
        if not capped:
            rented = _RENTED_BY_CENTS.get(rest)
            if rented is None:
                continue
            options: range | tuple[int] = (rented,)
        else:  # any raw value at or above the cap shows the cap
            least = bisect.bisect_left(_RENTED_CENTS, rest)
            options = range(least, min(least + 12, WINDOW) + 1)
        for rented in options:
            if owned + rented > WINDOW or rented < study:
                continue
            for owned_end in _owned_end_choices(area, owned):
                if study and insured - owned_end < study:
                    continue
                if capped and housing_cents(owned, rented) > cap:
                    preferred.append((owned, rented, owned_end))
                else:
                    others.append((owned, rented, owned_end))
                break
    return preferred, others


def _deduction_sums(points: int, deduction: int) -> tuple[int, int]:
    """The study-month sums (in 24ths of a point) whose deduction shows ``deduction`` cents."""
    cap = DEDUCTION_CAP[points]
    if deduction == cap:
        return math.ceil(Fraction(cap * 24, 100)), WINDOW * 8
    sums = [s for s in range(WINDOW * 8 + 1) if half_up_cents(Fraction(s, 24)) == deduction]
    if not sums:
        raise RebuildError(f"deduction {deduction / 100:.2f} is no rounded multiple of 1/24")
    return sums[0], sums[-1]


def _month_values(layout: _Layout, insured_from: int) -> list[int]:
    """Employment + housing points of each month EARLIEST..CUTOFF, in 24ths of a point."""
    values = [6 if m >= insured_from else 0 for m in range(EARLIEST, CUTOFF + 1)]
    start = layout.start - EARLIEST
    for offset, length, weight in (
        (0, layout.owned_early, 2),
        (layout.owned_early, layout.rented, 1),
        (layout.owned_early + layout.rented, layout.owned_end, 2),
    ):
        for i in range(start + offset, start + offset + length):
            values[i] += weight
    return values


def _any_window(values: list[int], low: int, high: int) -> tuple[int, int] | None:
    """The first contiguous run of months whose values sum to low..high, as month indices."""
    prefix = [0]
    for v in values:
        prefix.append(prefix[-1] + v)
    for i in range(len(values)):
        if values[i] == 0:
            continue  # start where the deduction starts
        j = bisect.bisect_left(prefix, prefix[i] + low, i + 1)
        if j < len(prefix) and prefix[j] - prefix[i] <= high:
            return EARLIEST + i, EARLIEST + j - 1
    return None


def _birth_date(row: Row, rng: random.Random) -> tuple[tuple[int, int, int], int]:
    """A birth day in the published month whose age on the reference date gives the score."""
    year, month = (int(p) for p in row.birth_month.split("-"))
    want = row.cents("age")
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if age_points_cents(age_on_reference((year, month, d))) == want
    ]
    if not days:
        raise RebuildError(
            f"age score {want / 100:.2f} impossible for birth month {row.birth_month}"
        )
    birth = (year, month, rng.choice(days))
    return birth, age_on_reference(birth)


def _person(birth: tuple[int, int, int], age: int, rng: random.Random) -> dict[str, Any]:
    if age >= RETIREMENT["M"]:
        raise RebuildError(f"age {age} is at or past every retirement age")
    if age >= RETIREMENT["F_cadre"]:
        sex, cadre = "M", False
    elif age >= RETIREMENT["F"]:
        sex = rng.choice("MF")
        cadre = sex == "F"  # a woman this old is eligible only as a cadre
    else:
        sex = rng.choice("MF")
        cadre = sex == "F" and rng.random() < 0.3
    faker = _faker()
    faker.seed_instance(rng.getrandbits(64))
    name = faker.name_male() if sex == "M" else faker.name_female()
    sequence = rng.randrange(500) * 2 + (1 if sex == "M" else 0)  # odd for men
    first17 = f"{rng.choice(AREA_CODES)}{birth[0]:04d}{birth[1]:02d}{birth[2]:02d}{sequence:03d}"
    return {
        "id_number": first17 + check_digit(first17),
        "name": name,
        "sex": sex,
        "birth_date": f"{birth[0]:04d}-{birth[1]:02d}-{birth[2]:02d}",
        "female_cadre": cadre,
        "residence_permit": True,
        "criminal_record": False,
    }


_FAKER: Any = None


def _faker() -> Any:
    global _FAKER
    if _FAKER is None:
        from faker import Faker  # imported late: only rebuilding needs it

        _FAKER = Faker("zh_CN")
    return _FAKER


def _tax(cents: int, rng: random.Random) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Tax amounts for Y-3..Y-1 and tax offences: +2 per year ≥ 100,000, -12 per offence."""
    for offences in range(11):
        high, rem = divmod(cents + 1200 * offences, 200)
        if rem == 0 and 0 <= high <= len(TAX_YEARS):
            break
    else:
        raise RebuildError(f"tax {cents / 100:.2f} is no 2 × years - 12 × offences")
    high_years = set(rng.sample(TAX_YEARS, high))
    amounts = {
        str(y): rng.randrange(TAX_THRESHOLD, 400_001)
        if y in high_years
        else rng.choice((0, rng.randrange(1_000, TAX_THRESHOLD)))
        for y in TAX_YEARS
    }
    return amounts, [_violation("tax_offence", rng) for _ in range(offences)]


def _violation(kind: str, rng: random.Random) -> dict[str, str]:
    (y0, _, _), (y1, _, _) = LOOKBACK
    year = rng.randint(y0, y1)
    month = rng.randint(1, 12)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    return {"kind": kind, "date": f"{year:04d}-{month:02d}-{day:02d}"}


def _education(
    points: int,
    window: tuple[int, int] | None,
    layout: _Layout,
    insured_from: int,
    birth_year: int,
    rng: random.Random,
) -> list[dict[str, Any]]:
    if points == 0:
        return []
    if points not in EDUCATION_CHOICES:
        raise RebuildError(f"education {points / 100:.2f} is not a rule-set value")
    choices = EDUCATION_CHOICES[points]
    # Mostly the "with" record; sometimes a level alone, to exercise the other path.
    level, degree, years, end_age = choices[0] if rng.random() < 0.85 else rng.choice(choices)
    first_valued = min(insured_from, layout.start)
    if window is not None:
        first, last = window
        # Stretch back over months that earn nothing, towards a usual study length.
        while last - first + 1 < years * 12 and (first - 1 < EARLIEST or first - 1 < first_valued):
            first -= 1
        full_time = True
    else:
        # Full-time study that ended before any record begins (or before 1998-07) earns
        # nothing; if that would be too young, make it part-time, which is never deducted.
        end_year = (first_valued - 1 - 5) // 12  # last June before the first valued month
        if end_year - birth_year >= end_age:
            full_time = True
        else:
            full_time = False
            end_year = min(birth_year + end_age + rng.randrange(0, 8), APPLICATION_YEAR - 1)
        last = _month(end_year, 6)
        first = _month(end_year - years, 9)
    return [
        {
            "level": level,
            "degree": degree,
            "full_time": full_time,
            "from": _label(first),
            "to": _label(last),
        }
    ]


def rebuild_profile(row: Row, rng: random.Random) -> dict[str, Any]:
    """A synthetic ``jifen.profile/1`` (year 2020) that earns exactly the row's components.

    Raises RebuildError, saying why, when no such profile was found.
    """
    employment = row.cents("employment")
    if employment % 25:
        raise RebuildError(f"employment {employment / 100:.2f} is not a multiple of 0.25")
    insured = employment // 25
    if not 84 <= insured <= WINDOW:
        raise RebuildError(f"{insured} insured months: outside 84..{WINDOW}")
    insured_from = CUTOFF - insured + 1
    housing = row.cents("housing")
    cap = housing_cap_cents(insured)
    if housing > cap:
        raise RebuildError(f"housing {housing / 100:.2f} exceeds its cap {cap / 100:.2f}")
    points = row.cents("education")
    area = row.cents("area")

    birth, age = _birth_date(row, rng)
    person = _person(birth, age, rng)
    # Prefer homes from the age of 18 on; the published facts do not always allow it.
    adult = _month(birth[0] + 18, birth[1])

    deduction = -row.cents("study_deduction")
    layout = None
    window = None
    for study in _study_months(points, deduction, rng):
        preferred, others = _layouts(insured, housing, cap, study, area)
        candidates = preferred or others
        if candidates:
            grown = [c for c in candidates if CUTOFF - c[0] - c[1] + 1 >= adult]
            layout = _Layout(*rng.choice(grown or candidates))
            if study:
                # The deducted months: the first insured months of the rented block.
                first = max(CUTOFF - layout.owned_end - layout.rented + 1, insured_from)
                window = (first, first + study - 1)
            break
    if layout is None and deduction:
        # Slow path: any housing layout with any run of study months (insured or not,
        # rented or owned) whose points give the deduction.
        low, high = _deduction_sums(points, deduction)
        preferred, others = _layouts(insured, housing, cap, 0, area)
        for candidate in (_Layout(*c) for c in preferred + others):
            window = _any_window(_month_values(candidate, insured_from), low, high)
            if window is not None:
                layout = candidate
                break
    if layout is None:
        raise RebuildError(
            f"no housing layout gives {housing / 100:.2f} with area {area / 100:.2f}"
            f" and a study deduction of {deduction / 100:.2f}"
        )

    housing_records = []
    month = layout.start
    for kind, length, district in (
        ("owned", layout.owned_early, rng.choice(CENTRAL)),
        ("rented", layout.rented, rng.choice(CENTRAL + OUTER)),
        ("owned", layout.owned_end, rng.choice(OUTER if area else CENTRAL)),
    ):
        if length:
            housing_records.append(
                {"kind": kind, "from": _label(month), "to": _label(month + length - 1),
                 "district": district}
            )  # fmt: skip
            month += length

    # Where the job is: outside 城六区 in every area month (6, 3), in 2019 only (5), or inside.
    cut = _month(APPLICATION_YEAR - 1, 1)
    if area in (300, 600):
        jobs = [(insured_from, CUTOFF, rng.choice(OUTER))]
    elif area == 500:
        jobs = [(insured_from, cut - 1, rng.choice(CENTRAL)), (cut, CUTOFF, rng.choice(OUTER))]
    elif area in (200, 400):
        jobs = [(insured_from, CUTOFF, rng.choice(CENTRAL))]
    else:
        jobs = [(insured_from, CUTOFF, rng.choice(CENTRAL + OUTER))]

    tax, offences = _tax(row.cents("tax"), rng)
    law = row.cents("law")
    if law > 0 or law % 3000:
        raise RebuildError(f"law {law / 100:.2f} is no multiple of -30")
    innovation = row.cents("innovation")
    if innovation and innovation not in INNOVATION_CODES:
        raise RebuildError(f"innovation {innovation / 100:.2f} is no item's points")
    honours = row.cents("honours")
    if honours not in (0, 2000):
        raise RebuildError(f"honours {honours / 100:.2f} is neither 0 nor 20")

    return {
        "format": "jifen.profile/1",
        "application_year": APPLICATION_YEAR,
        "application_no": f"{row.rank:06d}",
        "person": person,
        "social_insurance": [{"from": _label(insured_from), "to": _label(CUTOFF), "back_paid": []}],
        "housing": housing_records,
        "employment": [{"from": _label(f), "to": _label(t), "district": d} for f, t, d in jobs],
        "education": _education(points, window, layout, insured_from, birth[0], rng),
        "innovation": [rng.choice(INNOVATION_CODES[innovation])] if innovation else [],
        "tax": tax,
        "honours": [rng.choice(HONOUR_CODES)] if honours else [],
        "violations": offences
        + [_violation("administrative_detention", rng) for _ in range(-law // 3000)],
    }


def rebuild_all(
    rows: list[Row], seed: int = APPLICATION_YEAR
) -> tuple[list[tuple[Row, dict[str, Any]]], list[tuple[Row, str]]]:
    """Rebuild every row; each row has its own generator (seed, rank) so that one row can be
    rebuilt alone. Returns (row, profile) pairs and (row, reason) for rows that failed."""
    built = []
    failed = []
    for row in rows:
        try:
            built.append((row, rebuild_profile(row, random.Random(f"{seed}:{row.rank}"))))
        except RebuildError as exc:
            failed.append((row, str(exc)))
    return built, failed
