"""A scaled-down pool lands near the published line (the full comparison is
bench/synth_calibration.py; see docs/synthetic-data.md)."""

from __future__ import annotations

import pytest

from jifen.rules import score_profile
from jifen.synth import generate
from jifen.synth.params import round_facts

TOLERANCE = 1.5  # points; seeds 1-4 of these pools land within 0.4 of the line


@pytest.mark.parametrize("year", [2020, 2025])
def test_small_pool_line_near_published_line(year: int) -> None:
    facts = round_facts(year)
    assert facts.line is not None
    applicants = facts.applicants // 10  # e.g. 12,285 for 2020
    quota = facts.quota // 10  # 600
    totals = []
    ineligible = 0
    for profile in generate(applicants, year, seed=1):
        result = score_profile(profile)
        if result["eligible"]:
            totals.append(result["total"])
        else:
            ineligible += 1
    totals.sort(reverse=True)
    line = totals[quota - 1]
    assert abs(line - facts.line) <= TOLERANCE, (line, facts.line)
    # The published list is only the top: most of the pool sits well below the line.
    median = totals[len(totals) // 2]
    assert median < facts.line - 10
    assert ineligible / applicants < 0.08
