"""Ranking and the admission line (Beijing: a quota and a line; everyone at the line is in)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RankedEntry:
    application_no: str
    total_cents: int
    rank: int  # equal totals share a rank
    admitted: bool


@dataclass(frozen=True, slots=True)
class RankingOutcome:
    quota: int
    line_cents: int | None  # None when there are no eligible applicants
    admitted: int
    entries: list[RankedEntry]

    @property
    def line(self) -> float | None:
        return None if self.line_cents is None else self.line_cents / 100


def _sort_key(item: tuple[str, int]) -> tuple[int, int, str]:
    no, total = item
    # Application numbers are usually digits; compare them as numbers when they are.
    return (-total, int(no) if no.isdigit() else 0, no)


def rank_results(totals: Iterable[tuple[str, int]], quota: int) -> RankingOutcome:
    """Rank eligible applicants given ``(application_no, total in cents)``.

    Ordered by total, highest first; equal totals share a rank and are listed by application
    number. The line is the total of the ``quota``-th applicant (the last one when there are
    fewer), and every applicant with a total at or above it is admitted, so more than
    ``quota`` may be admitted.
    """
    if quota < 1:
        raise ValueError("quota must be at least 1")
    ordered = sorted(totals, key=_sort_key)
    if not ordered:
        return RankingOutcome(quota=quota, line_cents=None, admitted=0, entries=[])
    line = ordered[min(quota, len(ordered)) - 1][1]
    entries = []
    rank = 0
    previous = None
    for position, (no, total) in enumerate(ordered, start=1):
        if total != previous:
            rank, previous = position, total
        entries.append(RankedEntry(no, total, rank, total >= line))
    admitted = sum(1 for e in entries if e.admitted)
    return RankingOutcome(quota=quota, line_cents=line, admitted=admitted, entries=entries)
