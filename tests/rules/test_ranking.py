"""The quota line: everyone at or above the Q-th total is admitted; ties share a rank."""

from __future__ import annotations

import pytest

from jifen.rules import rank_results


def test_line_is_the_quota_th_total_and_ties_at_the_line_are_admitted() -> None:
    totals = [("5", 9000), ("1", 9500), ("3", 9000), ("2", 9000), ("4", 8000)]
    outcome = rank_results(totals, quota=2)
    assert outcome.line_cents == 9000
    assert outcome.line == 90.0
    assert outcome.admitted == 4  # more than the quota: the three at 90.00 share the line
    assert [(e.application_no, e.rank, e.admitted) for e in outcome.entries] == [
        ("1", 1, True),
        ("2", 2, True),
        ("3", 2, True),
        ("5", 2, True),
        ("4", 5, False),
    ]


def test_application_numbers_order_ties_numerically() -> None:
    outcome = rank_results([("10", 100), ("9", 100), ("100", 100)], quota=5)
    assert [e.application_no for e in outcome.entries] == ["9", "10", "100"]


def test_fewer_applicants_than_the_quota() -> None:
    outcome = rank_results([("1", 5000), ("2", 4000)], quota=6000)
    assert outcome.line_cents == 4000 and outcome.admitted == 2


def test_nobody_eligible() -> None:
    outcome = rank_results([], quota=6000)
    assert outcome.line is None and outcome.admitted == 0


def test_quota_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quota"):
        rank_results([("1", 1)], quota=0)
