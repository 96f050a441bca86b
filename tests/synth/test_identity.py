"""Synthetic identity numbers: GB 11643 check digits, birth date and sex carried correctly."""

from __future__ import annotations

from random import Random

import pytest

from jifen.rules.identity import identity_problem
from jifen.synth.identity import AreaCodes, IdentityFactory


@pytest.mark.parametrize("male", [True, False])
def test_factory_numbers_are_valid_and_carry_birth_and_sex(male: bool) -> None:
    factory = IdentityFactory()
    rng = Random(7)
    areas = set(factory.areas.codes)
    for i in range(2000):
        year, month, day = 1950 + i % 50, 1 + i % 12, 1 + i % 28
        number = factory.make(rng, year, month, day, male)
        assert identity_problem(number) is None, number
        assert number[:6] in areas
        assert number[6:14] == f"{year:04d}{month:02d}{day:02d}"
        assert int(number[16]) % 2 == (1 if male else 0)
        assert number[14:17] != "000"


def test_area_codes_are_county_level_codes_weighted_to_other_provinces() -> None:
    areas = AreaCodes.load()
    assert len(set(areas.codes)) == len(areas.codes)
    assert all(len(c) == 6 and c.isdigit() and c[2:] != "0000" for c in areas.codes)
    rng = Random(1)
    drawn = [areas.draw(rng) for _ in range(20000)]
    beijing = sum(1 for c in drawn if c.startswith("11")) / len(drawn)
    hebei = sum(1 for c in drawn if c.startswith("13")) / len(drawn)
    # Applicants are registered elsewhere: Beijing prefixes are rare, Hebei the most common.
    assert beijing < 0.03
    assert 0.15 < hebei < 0.25


def test_factory_numbers_are_distinct_even_when_draws_collide() -> None:
    # Every number on one birth date and sex: 500 sequence numbers per area, so 3,000 draws
    # collide often; each collision takes the next free number, valid and carrying the same
    # birth date and sex.
    factory = IdentityFactory()
    rng = Random(3)
    numbers = [factory.make(rng, 1985, 6, 15, i % 2 == 0) for i in range(3000)]
    assert len(set(numbers)) == len(numbers)
    for i, number in enumerate(numbers):
        assert identity_problem(number) is None, number
        assert number[6:14] == "19850615"
        assert int(number[16]) % 2 == (1 if i % 2 == 0 else 0)
        assert number[14:17] != "000"


def test_factory_moves_to_the_next_area_when_a_date_is_full() -> None:
    factory = IdentityFactory()
    rng = Random(5)
    numbers = [factory.make(rng, 1990, 1, 1, False) for _ in range(1200)]
    assert len(set(numbers)) == 1200
    # 499 women's sequence numbers per area code: at least three areas were needed.
    assert len({n[:6] for n in numbers}) >= 3
