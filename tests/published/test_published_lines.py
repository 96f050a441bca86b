"""The ranking rule against the published lists: the quota-th total is the line, and everyone
at or above it was admitted.

Each list holds the admitted applicants of one round, best first, so ranking its totals with
the quota must give back the published line and the published admitted count.
"""

from __future__ import annotations

import itertools

import pytest

from jifen.published import read_totals
from jifen.rules import rank_results

QUOTA = 6000
# year: (published line in cents, published admitted count)
PUBLISHED = {
    2018: (9075, 6019),
    2020: (9713, 6032),
    2021: (10088, 6045),
    2023: (10992, 6003),
    2024: (11446, 6002),
    2025: (11733, 6004),
}
# The 2018 file stops at rank 6,000: the 19 applicants admitted at the line after it are not
# in it, so its admitted count cannot be checked (measured: 6,000 rows, the last at the line).
TRUNCATED = {2018: QUOTA}


def totals_in_cents(year: int) -> list[int]:
    return [round(row.total * 100) for row in read_totals(year)]


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_the_quota_th_total_is_the_published_line(year):
    line, _admitted = PUBLISHED[year]
    totals = sorted(totals_in_cents(year), reverse=True)
    assert totals[QUOTA - 1] == line


@pytest.mark.parametrize("year", sorted(set(PUBLISHED) - set(TRUNCATED)))
def test_everyone_at_or_above_the_line_is_the_published_admitted_count(year):
    line, admitted = PUBLISHED[year]
    totals = totals_in_cents(year)
    assert sum(1 for t in totals if t >= line) == admitted
    assert len(totals) == admitted  # the list is exactly the admitted applicants


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_rank_results_gives_the_published_line_and_count(year):
    line, admitted = PUBLISHED[year]
    rows = read_totals(year)
    outcome = rank_results(((f"{r.rank:06d}", round(r.total * 100)) for r in rows), quota=QUOTA)
    assert outcome.line_cents == line
    assert outcome.admitted == TRUNCATED.get(year, admitted)
    # Equal totals share a rank; the applicant at the quota has the rank of the first at the line.
    at_quota = outcome.entries[QUOTA - 1]
    first_at_line = next(i for i, e in enumerate(outcome.entries) if e.total_cents == line)
    assert at_quota.rank == first_at_line + 1


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_each_list_is_in_rank_order(year):
    rows = read_totals(year)
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert all(a.total >= b.total for a, b in itertools.pairwise(rows))


def test_the_2018_list_is_cut_at_the_quota():
    line, admitted = PUBLISHED[2018]
    totals = totals_in_cents(2018)
    assert len(totals) == TRUNCATED[2018] < admitted
    assert min(totals) == line  # consistent with more admitted at the line beyond the file
