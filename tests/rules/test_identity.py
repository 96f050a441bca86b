"""GB 11643 identity numbers."""

from __future__ import annotations

import random

import pytest

from jifen.rules.identity import birth_date_of, check_digit, identity_problem, mask, sex_of


def test_known_numbers() -> None:
    # The standard's worked example and the spec's example profile.
    assert check_digit("11010519491231002") == "X"
    assert identity_problem("11010519491231002X") is None
    assert identity_problem("110105197601152347") is None
    assert birth_date_of("110105197601152347") == "1976-01-15"
    assert sex_of("110105197601152347") == "F"
    assert sex_of("11010519491231002X") == "F"
    male = "11010519491231001" + check_digit("11010519491231001")
    assert identity_problem(male) is None
    assert sex_of(male) == "M"


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("110105197601152346", "check digit is 6, expected 7"),
        ("11010519760115234", "must have 18 characters"),
        ("1101051976011523A7", "first 17 characters must be digits"),
        ("11010519760115234Y", "digit or X"),
    ],
)
def test_problems(number: str, problem: str) -> None:
    assert problem in (identity_problem(number) or "")


def test_mask() -> None:
    assert mask("110105197601152347") == "110105********2347"


def test_the_check_digit_is_the_weighted_sum_of_the_standard() -> None:
    """The weights and the character table of GB 11643-1999, summed digit by digit."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...
    rng = random.Random(11643)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
        assert check_digit(first17) == "10X98765432"[total % 11], first17


@pytest.mark.parametrize("text", ["1101051949123100", "110105194912310021", "１1010519491231002"])
def test_the_check_digit_needs_17_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit(text)
