"""Month-by-month reference implementation of the Beijing points rules (test oracle).

Written independently from docs/spec text (beijing-rules.md, profile-format.md) so that the
fast engine in ``jifen.rules`` can be checked against it and benchmarked against it. Every
calendar month is visited one by one and its state decided from the records; points are
accumulated with ``fractions.Fraction``. Readability over speed, on purpose.

The numbers below are a literal transcription of the spec: this module is a test oracle, and
an independent transcription is what makes it worth comparing against the rule-set data files.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

FIRST_INSURANCE_MONTH = "1998-07"

CENTRAL_DISTRICTS = frozenset({"东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区"})

# Housing precedence: a month belongs to the first kind in this order that covers it.
HOUSING_KINDS = ("owned", "rented", "dormitory")
HOUSING_POINTS_PER_MONTH = {
    "owned": Fraction(1, 12),
    "rented": Fraction(1, 24),
    "dormitory": Fraction(1, 24),
}
EMPLOYMENT_POINTS_PER_MONTH = Fraction(1, 4)

INNOVATION_POINTS = {
    "award.national.special": 12,
    "award.national.first": 11,
    "award.national.second": 10,
    "award.municipal.special": 9,
    "award.municipal.first": 8,
    "award.municipal.second": 6,
    "award.municipal.third": 5,
    "award.other.first": 4,
    "award.other.second": 2,
    "contest.national.first": 12,
    "contest.national.second": 10,
    "contest.national.third": 9,
    "contest.municipal.first": 8,
    "contest.municipal.second": 6,
    "contest.municipal.third": 4,
    "contest.district.first": 3,
    "contest.district.second": 2,
    "contest.district.third": 1,
    "equity.financing.40m": 6,
    "equity.financing.20m": 4,
    "equity.financing.5m": 2,
}

# Education: a record's level and degree share a tier -> "with" value; otherwise the better
# of the two "alone" values. junior_college exists only as a level.
EDUCATION_WITH = {"bachelor": Fraction(15), "master": Fraction(26), "doctor": Fraction(37)}
EDUCATION_ALONE = {
    "junior_college": Fraction(21, 2),
    "bachelor": Fraction(21, 2),
    "master": Fraction(15),
    "doctor": Fraction(26),
}
# Study deduction cap, keyed by the education points of the chosen record.
STUDY_DEDUCTION_CAP = {
    Fraction(21, 2): Fraction(21, 2),
    Fraction(15): Fraction(14),
    Fraction(26): Fraction(21, 2),
    Fraction(37): Fraction(21, 2),
}

INDICATOR_CODES = (
    "employment", "housing", "education", "study_deduction", "area",
    "innovation", "tax", "age", "honours", "law",
)


# ---------------------------------------------------------------- months and dates


def month_after(month: str) -> str:
    """'2019-12' -> '2020-01'."""
    year, mon = int(month[:4]), int(month[5:7])
    if mon == 12:
        return f"{year + 1:04d}-01"
    return f"{year:04d}-{mon + 1:02d}"


def months_from_to(first: str, last: str) -> list[str]:
    """Every month from first to last, both included (empty when first > last)."""
    months = []
    month = first
    while month <= last:  # 'YYYY-MM' strings order like the months they name
        months.append(month)
        month = month_after(month)
    return months


def covers(record: dict, month: str) -> bool:
    return record["from"] <= month <= record["to"]


def completed_years(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


# ---------------------------------------------------------------- rounding


def round_half_up(value: Fraction) -> Decimal:
    """Round to 2 decimals half up; a negative value: magnitude rounded, then negated."""
    if value < 0:
        return -round_half_up(-value)
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(hundredths).scaleb(-2)


def round_ceiling(value: Fraction) -> Decimal:
    return Decimal(math.ceil(value * 100)).scaleb(-2)


def as_float(value: Decimal) -> float:
    # float(Decimal("-0.00")) is -0.0; the result must never show it.
    return 0.0 if value == 0 else float(value)


# ---------------------------------------------------------------- per-month state


def insurance_state(profile: dict, month: str) -> str | None:
    """'paid' (a counted insurance month), 'back_paid' (covered only as back-paid) or None."""
    covered = False
    for record in profile.get("social_insurance", []):
        if covers(record, month):
            covered = True
            if month not in record.get("back_paid", []):
                return "paid"
    return "back_paid" if covered else None


def latest_started(records: list[dict]) -> dict | None:
    """The record that started last; on equal `from`, the later one in the list."""
    chosen = None
    for record in records:
        if chosen is None or record["from"] >= chosen["from"]:
            chosen = record
    return chosen


def home_record(profile: dict, month: str) -> dict | None:
    """The housing record the month belongs to: highest-precedence kind, then latest start."""
    for kind in HOUSING_KINDS:
        candidates = [
            r for r in profile.get("housing", []) if r["kind"] == kind and covers(r, month)
        ]
        if candidates:
            return latest_started(candidates)
    return None


def job_record(profile: dict, month: str) -> dict | None:
    candidates = [r for r in profile.get("employment", []) if covers(r, month)]
    return latest_started(candidates)


# ---------------------------------------------------------------- rule set and dates


def choose_rule_set(profile: dict, rule_set: str | None) -> str:
    if rule_set is not None:
        return rule_set
    if profile.get("rule_set"):
        return profile["rule_set"]
    year = profile["application_year"]
    if year >= 2020:
        return "beijing-2020"
    if year >= 2018:
        return "beijing-2016"
    raise ValueError(f"no rule set for application year {year}")


def cap_rounding_is_ceiling(rule_set: str, year: int) -> bool:
    # beijing-2020: half up up to the 2021 round, ceiling from 2022; beijing-2016: half up.
    return rule_set == "beijing-2020" and year >= 2022


def in_lookback_window(day: str, year: int) -> bool:
    return f"{year - 5:04d}-01-01" <= day <= f"{year - 1:04d}-12-31"


# ---------------------------------------------------------------- indicators


def employment_points(profile: dict, cutoff: str) -> tuple[Fraction, int]:
    counted = 0
    for month in months_from_to(FIRST_INSURANCE_MONTH, cutoff):
        if insurance_state(profile, month) == "paid":
            counted += 1
    return counted * EMPLOYMENT_POINTS_PER_MONTH, counted


def housing_points(profile: dict, cutoff: str, counted_months: int, ceiling: bool) -> Decimal:
    months_by_kind = dict.fromkeys(HOUSING_KINDS, 0)
    for month in months_from_to(FIRST_INSURANCE_MONTH, cutoff):
        home = home_record(profile, month)
        if home is not None:
            months_by_kind[home["kind"]] += 1
    raw = sum(
        (round_half_up(months_by_kind[k] * HOUSING_POINTS_PER_MONTH[k]) for k in HOUSING_KINDS),
        Decimal(0),
    )
    cap_exact = Fraction(counted_months, 12)
    cap = round_ceiling(cap_exact) if ceiling else round_half_up(cap_exact)
    return min(raw, cap)


def education_record_points(record: dict) -> Fraction:
    level, degree = record.get("level"), record.get("degree")
    if level is not None and level == degree:
        return EDUCATION_WITH[level]
    alone = [EDUCATION_ALONE[x] for x in (level, degree) if x is not None]
    return max(alone, default=Fraction(0))


def chosen_education(profile: dict) -> dict | None:
    """Highest points; on equal points the latest `to`; still tied, the first in the list."""
    chosen = None
    for record in profile.get("education", []):
        if chosen is None:
            chosen = record
            continue
        points, best = education_record_points(record), education_record_points(chosen)
        if points > best or (points == best and record["to"] > chosen["to"]):
            chosen = record
    return chosen


def study_deduction(profile: dict, cutoff: str, record: dict | None) -> Fraction:
    if record is None or not record.get("full_time"):
        return Fraction(0)
    points = education_record_points(record)
    if points == 0:
        return Fraction(0)
    first = max(record["from"], FIRST_INSURANCE_MONTH)
    last = min(record["to"], cutoff)
    earned = Fraction(0)
    for month in months_from_to(first, last):
        if insurance_state(profile, month) == "paid":
            earned += EMPLOYMENT_POINTS_PER_MONTH
        home = home_record(profile, month)
        if home is not None:
            earned += HOUSING_POINTS_PER_MONTH[home["kind"]]
    return -min(earned, STUDY_DEDUCTION_CAP[points])


def area_points(profile: dict, cutoff: str, rule_set: str) -> Fraction:
    is_2016 = rule_set == "beijing-2016"
    first = "2017-01" if is_2016 else "2018-01"

    def home_out(month: str) -> bool:
        home = home_record(profile, month)
        if home is None or home["district"] in CENTRAL_DISTRICTS:
            return False
        return is_2016 or home["kind"] == "owned"

    def job_out(month: str) -> bool:
        job = job_record(profile, month)
        return job is not None and job["district"] not in CENTRAL_DISTRICTS

    months = months_from_to(first, cutoff)
    if not months or not home_out(cutoff):
        return Fraction(0)
    both_out = home_only = 0
    for month in months:
        if home_out(month):
            if job_out(month):
                both_out += 1
            else:
                home_only += 1
    if is_2016:
        points = min(4 * (both_out // 12), 12) + min(2 * (home_only // 12), 6)
    else:
        points = 3 * (both_out // 12) + 2 * (home_only // 12)
    return Fraction(min(points, 12))


def innovation_points(profile: dict) -> Fraction:
    best = max((INNOVATION_POINTS[code] for code in profile.get("innovation", [])), default=0)
    return Fraction(min(best, 12))


def tax_points(profile: dict, year: int, rule_set: str) -> Fraction:
    taxes = profile.get("tax", {})
    years = [str(y) for y in (year - 3, year - 2, year - 1)]
    threshold = Decimal(100000)
    if rule_set == "beijing-2016":
        present = all(y in taxes for y in years)
        # Average >= 100,000 over three years <=> sum >= 300,000 (exact, no division).
        bonus = 6 if present and sum(Decimal(str(taxes[y])) for y in years) >= 3 * threshold else 0
    else:
        bonus = sum(2 for y in years if Decimal(str(taxes.get(y, 0))) >= threshold)
    offences = sum(
        1
        for v in profile.get("violations", [])
        if v["kind"] == "tax_offence" and in_lookback_window(v["date"], year)
    )
    return Fraction(bonus - 12 * offences)


def age_points(age: int, rule_set: str) -> Fraction:
    if rule_set == "beijing-2016":
        return Fraction(20 if age <= 45 else 0)
    bands = {46: 16, 47: 12, 48: 8, 49: 4}
    if age <= 45:
        return Fraction(20)
    return Fraction(bands.get(age, 0))


def law_points(profile: dict, year: int) -> Fraction:
    detentions = sum(
        1
        for v in profile.get("violations", [])
        if v["kind"] == "administrative_detention" and in_lookback_window(v["date"], year)
    )
    return Fraction(-30 * detentions)


# ---------------------------------------------------------------- eligibility


def retirement_age(person: dict) -> int:
    if person["sex"] == "M":
        return 60
    return 55 if person.get("female_cadre") else 50


def eligibility_reasons(profile: dict, cutoff: str, age: int) -> list[str]:
    person = profile["person"]
    reasons = []
    if not person.get("residence_permit"):
        reasons.append("未持有有效的北京市居住证")
    limit = retirement_age(person)
    if age >= limit:
        reasons.append(f"已达到法定退休年龄({limit}周岁)")
    # The 84 months ending at the cut-off month.
    cutoff_year = int(cutoff[:4])  # the cut-off month is always December
    last_84 = months_from_to(f"{cutoff_year - 6:04d}-01", cutoff)
    states = [insurance_state(profile, m) for m in last_84]
    if None in states:
        reasons.append("在京连续缴纳社会保险不满7年")
    elif states.count("back_paid") > 5:
        reasons.append("连续7年社会保险中补缴超过5个月")
    if person.get("criminal_record"):
        reasons.append("有刑事犯罪记录")
    return reasons


# ---------------------------------------------------------------- the result


def score(profile: dict, rule_set: str | None = None) -> dict:
    """Score an already-valid jifen.profile/1 dict; returns a jifen.result/1 dict."""
    year = profile["application_year"]
    rule_set = choose_rule_set(profile, rule_set)
    cutoff = f"{year - 1:04d}-12"
    age = completed_years(date.fromisoformat(profile["person"]["birth_date"]), date(year - 1, 1, 1))

    employment, counted_months = employment_points(profile, cutoff)
    education_record = chosen_education(profile)
    education = (
        education_record_points(education_record) if education_record else Fraction(0)
    )
    rounded = {
        "employment": round_half_up(employment),
        "housing": housing_points(
            profile, cutoff, counted_months, cap_rounding_is_ceiling(rule_set, year)
        ),
        "education": round_half_up(education),
        "study_deduction": round_half_up(study_deduction(profile, cutoff, education_record)),
        "area": round_half_up(area_points(profile, cutoff, rule_set)),
        "innovation": round_half_up(innovation_points(profile)),
        "tax": round_half_up(tax_points(profile, year, rule_set)),
        "age": round_half_up(age_points(age, rule_set)),
        "honours": Decimal(20 if profile.get("honours") else 0),
        "law": round_half_up(law_points(profile, year)),
    }
    total = sum(rounded.values(), Decimal(0))
    reasons = eligibility_reasons(profile, cutoff, age)
    return {
        "format": "jifen.result/1",
        "application_no": profile.get("application_no"),
        "rule_set": rule_set,
        "eligible": not reasons,
        "reasons": reasons,
        "total": as_float(total),
        "indicators": {code: as_float(rounded[code]) for code in INDICATOR_CODES},
        "explanation": [],
    }
