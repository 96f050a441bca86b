"""GB 11643 identity numbers."""

from __future__ import annotations

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
