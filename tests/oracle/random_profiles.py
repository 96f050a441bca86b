"""Random valid jifen.profile/1 dicts for property tests (engine vs. month-by-month oracle).

The generator leans towards the edges where rules are easy to get wrong: overlapping records,
back-paid months near the 5-month limit, records running past the cut-off, insurance and study
periods across 1998-07, owned and rented homes in and outside the six central districts, ages
around 45-50 and the retirement ages, tax around 100,000 yuan and violations on the look-back
window's edges. People are synthetic; identity numbers carry a valid GB 11643 check digit and
agree with birth date and sex.
"""

from __future__ import annotations

import random
from datetime import date

CENTRAL = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区")
OUTER = (
    "门头沟区", "房山区", "通州区", "顺义区", "昌平区",
    "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
)
INNOVATION_CODES = (
    "award.national.special", "award.national.first", "award.national.second",
    "award.municipal.special", "award.municipal.first", "award.municipal.second",
    "award.municipal.third", "award.other.first", "award.other.second",
    "contest.national.first", "contest.national.second", "contest.national.third",
    "contest.municipal.first", "contest.municipal.second", "contest.municipal.third",
    "contest.district.first", "contest.district.second", "contest.district.third",
    "equity.financing.40m", "equity.financing.20m", "equity.financing.5m",
)
HONOUR_CODES = ("model_worker", "moral_model", "heroic_model")
LEVELS = ("junior_college", "bachelor", "master", "doctor", None)
DEGREES = ("bachelor", "master", "doctor", None)
# Beijing administrative-division codes used as the first six digits of identity numbers.
REGION_CODES = ("110101", "110102", "110105", "110106", "110108", "110112", "110114", "110115")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"

TAX_AMOUNTS = (0, 50000, 99999, 99999.99, 100000, 100000.0, 100000.01, 150000, 300000)

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"


def id_number(region: str, birth: date, sequence: int, sex: str) -> str:
    """An 18-character identity number; the 17th digit is odd for men, even for women."""
    if (sequence % 2 == 1) != (sex == "M"):
        sequence += 1
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, GB11643_WEIGHTS, strict=True))
    return body + GB11643_CHECK[total % 11]


def _month(index: int) -> str:
    """Month index (year*12 + month-1) -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _birth_date(rng: random.Random, year: int) -> date:
    # Ages on the reference date (Y-1-01-01) near the bands' and retirement ages' edges.
    age = rng.choice((25, 30, 35, 40, 44, 45, 46, 47, 48, 49, 50, 51, 54, 55, 56, 59, 60, 61))
    birth_year = year - 1 - age
    kind = rng.random()
    if kind < 0.15:
        return date(birth_year, 1, 1)  # birthday on the reference date itself
    if kind < 0.25:
        return date(birth_year, 12, 31)
    if kind < 0.3 and birth_year % 4 == 0:
        return date(birth_year, 2, 29)
    return date(birth_year, rng.randint(1, 12), rng.randint(1, 28))


def _person(rng: random.Random, year: int) -> dict:
    sex = rng.choice("MF")
    birth = _birth_date(rng, year)
    return {
        "id_number": id_number(rng.choice(REGION_CODES), birth, rng.randint(0, 999), sex),
        "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
        "sex": sex,
        "birth_date": birth.isoformat(),
        "female_cadre": sex == "F" and rng.random() < 0.4,
        "residence_permit": rng.random() < 0.95,
        "criminal_record": rng.random() < 0.03,
    }


def _social_insurance(rng: random.Random, cutoff: int) -> list[dict]:
    first_choices = (_index(1998, 7), _index(1998, 6), _index(1998, 8), _index(1996, 3))
    start = rng.choice(first_choices) if rng.random() < 0.4 else rng.randint(
        _index(1995, 1), cutoff - 60
    )
    records = []
    while start <= cutoff and len(records) < 4:
        end = min(cutoff, start + rng.randint(6, 200))
        if rng.random() < 0.7 and len(records) == 2:
            end = cutoff
        records.append((start, _past_cutoff(rng, end, cutoff)))
        # Next record: contiguous, overlapping or after a gap.
        start = end + rng.choice((1, 1, 1, 1, -3, -12, 2, 4))
    if rng.random() < 0.2 and records:  # a duplicate, fully overlapping record
        records.append(rng.choice(records))
    result = []
    for lo, hi in records:
        back_paid: set[int] = set()
        for _ in range(rng.choice((0, 0, 0, 1, 3, 5, 6, 8))):
            # Mostly in the 84-month continuity window, where the limit of 5 matters.
            near = rng.random() < 0.7
            pick_lo = max(lo, cutoff - 83) if near else lo
            if pick_lo <= hi:
                back_paid.add(rng.randint(pick_lo, hi))
        months = [_month(m) for m in sorted(back_paid)]
        result.append({"from": _month(lo), "to": _month(hi), "back_paid": months})
    return result


def _past_cutoff(rng: random.Random, end: int, cutoff: int) -> int:
    """Now and then let a record that reaches the cut-off run on past it (still valid)."""
    return end + rng.randint(1, 18) if end == cutoff and rng.random() < 0.1 else end


def _district(rng: random.Random) -> str:
    return rng.choice(CENTRAL) if rng.random() < 0.45 else rng.choice(OUTER)


def _range(rng: random.Random, lo: int, hi: int, cutoff: int) -> tuple[str, str]:
    start = rng.randint(lo, hi)
    end = min(cutoff, start + rng.randint(0, 180)) if rng.random() < 0.6 else cutoff
    end = _past_cutoff(rng, max(start, end), cutoff)
    return _month(start), _month(end)


def _housing(rng: random.Random, cutoff: int) -> list[dict]:
    records = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        recent = rng.random() < 0.5
        lo = cutoff - 60 if recent else _index(1996, 1)
        frm, to = _range(rng, lo, cutoff, cutoff)
        records.append({
            "kind": rng.choice(("owned", "owned", "rented", "dormitory")),
            "from": frm,
            "to": to,
            "district": _district(rng),
        })
    return records


def _employment(rng: random.Random, cutoff: int) -> list[dict]:
    records = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        frm, to = _range(rng, _index(2014, 1), cutoff, cutoff)
        records.append({"from": frm, "to": to, "district": _district(rng)})
    return records


def _education(rng: random.Random, cutoff: int) -> list[dict]:
    records = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        start = rng.randint(_index(1993, 9), min(cutoff, _index(2012, 9)))
        if rng.random() < 0.4:  # around 1998-07
            start = rng.randint(_index(1996, 1), _index(1998, 8))
        end = _past_cutoff(rng, min(cutoff, start + rng.randint(0, 60)), cutoff)
        level = rng.choice(LEVELS)
        degree = level if rng.random() < 0.5 and level != "junior_college" else rng.choice(DEGREES)
        records.append({
            "level": level,
            "degree": degree,
            "full_time": rng.random() < 0.7,
            "from": _month(start),
            "to": _month(end),
        })
    return records


def _tax(rng: random.Random, year: int) -> dict:
    tax = {}
    for y in range(year - 4, year):
        if rng.random() < 0.85:
            tax[str(y)] = rng.choice(TAX_AMOUNTS)
    return tax


def _violations(rng: random.Random, year: int) -> list[dict]:
    edges = (
        date(year - 6, 12, 31), date(year - 5, 1, 1), date(year - 1, 12, 31),
        date(year - 3, 6, 15), date(year - 8, 3, 1), date(year, 1, 1),
    )
    return [
        {
            "kind": rng.choice(("administrative_detention", "tax_offence")),
            "date": rng.choice(edges).isoformat(),
        }
        for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2, 3)))
    ]


def random_profile(rng: random.Random) -> dict:
    """One random, valid jifen.profile/1 dict (application years 2018-2026)."""
    year = rng.randint(2018, 2026)
    cutoff = _index(year - 1, 12)
    profile: dict = {
        "format": "jifen.profile/1",
        "application_year": year,
        "application_no": f"{rng.randint(0, 999999):06d}",
        "person": _person(rng, year),
        "social_insurance": _social_insurance(rng, cutoff),
        "housing": _housing(rng, cutoff),
        "employment": _employment(rng, cutoff),
        "education": _education(rng, cutoff),
        "innovation": rng.sample(INNOVATION_CODES, rng.choice((0, 0, 0, 1, 2))),
        "tax": _tax(rng, year),
        "honours": rng.sample(HONOUR_CODES, rng.choice((0, 0, 0, 0, 1, 2))),
        "violations": _violations(rng, year),
    }
    if rng.random() < 0.1:
        profile["rule_set"] = rng.choice(("beijing-2016", "beijing-2020"))
    if rng.random() < 0.3:  # empty lists may be left out
        for key in ("housing", "employment", "education", "innovation", "honours", "violations"):
            if not profile[key]:
                del profile[key]
    return profile
