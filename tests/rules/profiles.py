"""Small builders of valid synthetic profiles for the engine's own tests."""

from __future__ import annotations

import copy
from typing import Any

from jifen.rules.identity import check_digit


def id_number(birth_date: str, sex: str, area: str = "110105", seq: int = 12) -> str:
    """A valid identity number for a birth date (YYYY-MM-DD) and sex."""
    digit = (seq % 10) | 1 if sex == "M" else (seq % 10) & ~1
    first17 = f"{area}{birth_date.replace('-', '')}{seq // 10 % 100:02d}{digit}"
    return first17 + check_digit(first17)


def person(birth_date: str = "1985-06-15", sex: str = "F", **extra: Any) -> dict[str, Any]:
    return {
        "id_number": id_number(birth_date, sex),
        "name": "测试人",
        "sex": sex,
        "birth_date": birth_date,
        "female_cadre": False,
        "residence_permit": True,
        "criminal_record": False,
        **extra,
    }


# The example of profile-format.md: scores 133.42 under beijing-2020.
SPEC_EXAMPLE: dict[str, Any] = {
    "format": "jifen.profile/1",
    "application_year": 2022,
    "application_no": "252984",
    "person": {
        "id_number": "110105197601152347",
        "name": "王素芳",
        "sex": "F",
        "birth_date": "1976-01-15",
        "female_cadre": False,
        "residence_permit": True,
        "criminal_record": False,
    },
    "social_insurance": [{"from": "1998-07", "to": "2021-12", "back_paid": []}],
    "housing": [
        {"kind": "rented", "from": "2002-03", "to": "2009-12", "district": "海淀区"},
        {"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通州区"},
    ],
    "employment": [{"from": "2016-05", "to": "2021-12", "district": "通州区"}],
    "education": [
        {
            "level": "bachelor",
            "degree": "bachelor",
            "full_time": True,
            "from": "1994-09",
            "to": "1998-06",
        }
    ],
    "innovation": [],
    "tax": {"2019": 0, "2020": 0, "2021": 0},
    "honours": [],
    "violations": [],
}


def spec_example(**changes: Any) -> dict[str, Any]:
    profile = copy.deepcopy(SPEC_EXAMPLE)
    profile.update(copy.deepcopy(changes))
    return profile


def minimal(year: int = 2022, **changes: Any) -> dict[str, Any]:
    """A valid, eligible profile insured without a gap from 2010-01 to the cut-off."""
    profile: dict[str, Any] = {
        "format": "jifen.profile/1",
        "application_year": year,
        "application_no": "1",
        "person": person(),
        "social_insurance": [{"from": "2010-01", "to": f"{year - 1}-12"}],
    }
    profile.update(copy.deepcopy(changes))
    return profile
