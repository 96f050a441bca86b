"""Ranking and the admission line, as the rule set's ``[ranking]`` says.

Two methods, so that other cities' schemes are configuration:

- ``quota_line`` (Beijing): eligible applicants by total, highest first; the line is the
  total of the quota-th applicant and everyone at or above it is admitted, so more than the
  quota may be admitted. An optional ``threshold`` is a floor below which nobody is admitted
  (Guangzhou: 60 points, then the quota).
- ``threshold`` (Shanghai): a standard score and no quota; everyone at or above it is admitted.

Equal totals share a rank (1, 2, 2, 4) and are listed by application number. A tie-break chain
(``tie_breaks``: keys of the result, each highest or lowest first) orders equal totals before
the application number; entries then share a rank only when the total and every tie-break
value are equal, and the line is drawn on the whole key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

METHODS = ("quota_line", "threshold")
ORDERS = ("desc", "asc")


@dataclass(frozen=True, slots=True)
class TieBreak:
    key: str  # a dotted path into the jifen.result/1 object, e.g. "indicators.employment"
    order: str = "desc"  # "desc": the higher value first
    name: str = ""  # Chinese, for the explanation of the list

    def value(self, result: Mapping[str, Any]) -> int:
        """The result's value at ``key`` in hundredths (a missing value counts as 0)."""
        node: Any = result
        for part in self.key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return 0
            node = node[part]
        if isinstance(node, bool) or not isinstance(node, int | float):
            return 0
        return round(node * 100)


@dataclass(frozen=True, slots=True)
class RankingRule:
    method: str = "quota_line"
    quota: int | None = None
    threshold_cents: int | None = None  # threshold: the standard score; quota_line: a floor
    tie_breaks: tuple[TieBreak, ...] = ()
    reference: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown ranking method {self.method!r}")
        if self.method == "quota_line" and (self.quota is None or self.quota < 1):
            raise ValueError("quota must be at least 1")
        if self.method == "threshold" and self.threshold_cents is None:
            raise ValueError("the threshold method needs a threshold")
        for tb in self.tie_breaks:
            if tb.order not in ORDERS:
                raise ValueError(f"tie break {tb.key}: order must be desc or asc")

    def with_quota(self, quota: int | None) -> RankingRule:
        """The same rule with the round's quota (the round may differ from the rule set)."""
        if quota is None or self.method != "quota_line":
            return self
        return RankingRule(
            self.method, quota, self.threshold_cents, self.tie_breaks, self.reference
        )

    def tie_values(self, result: Mapping[str, Any]) -> tuple[int, ...]:
        return tuple(tb.value(result) for tb in self.tie_breaks)


@dataclass(frozen=True, slots=True)
class Candidate:
    application_no: str
    total_cents: int
    ties: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RankedEntry:
    application_no: str
    total_cents: int
    rank: int  # equal keys share a rank
    admitted: bool
    ties: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RankingOutcome:
    quota: int | None
    line_cents: int | None  # None when nobody can be admitted
    admitted: int
    entries: list[RankedEntry]  # the listing order
    method: str = "quota_line"
    tie_breaks: tuple[TieBreak, ...] = field(default=())

    @property
    def line(self) -> float | None:
        return None if self.line_cents is None else self.line_cents / 100


def _number_key(no: str) -> tuple[int, int, str]:
    # Application numbers are digits: compare them as numbers ("9" before "10"); a number
    # that is not all digits comes after them, by its text.
    return (0, int(no), no) if no.isdigit() else (1, 0, no)


def rank(candidates: Iterable[Candidate], rule: RankingRule) -> RankingOutcome:
    """Rank eligible applicants under ``rule`` (see the module's docstring)."""
    signs = tuple(-1 if tb.order == "desc" else 1 for tb in rule.tie_breaks)

    def merit(c: Candidate) -> tuple[int, ...]:
        # Smaller is better: the total, then each tie break in its direction.
        if len(c.ties) != len(signs):
            raise ValueError(f"{c.application_no}: {len(c.ties)} tie values, rule has {len(signs)}")
        return (-c.total_cents, *(s * v for s, v in zip(signs, c.ties, strict=True)))

    keyed = sorted(
        ((merit(c), _number_key(c.application_no), c) for c in candidates),
        key=lambda k: (k[0], k[1]),
    )
    floor = rule.threshold_cents
    line_merit: tuple[int, ...] | None = None
    line_cents: int | None = None
    if rule.method == "threshold":
        line_cents = floor
    else:
        assert rule.quota is not None
        above = [k for k in keyed if floor is None or k[2].total_cents >= floor]
        if above:
            line_merit = above[min(rule.quota, len(above)) - 1][0]
            line_cents = above[min(rule.quota, len(above)) - 1][2].total_cents
    entries: list[RankedEntry] = []
    current_rank = 0
    previous: tuple[int, ...] | None = None
    for position, (m, _, c) in enumerate(keyed, start=1):
        if m != previous:
            current_rank, previous = position, m
        if rule.method == "threshold":
            admitted = c.total_cents >= floor  # type: ignore[operator]  # set: __post_init__
        else:
            # The line's key is among those at or above the floor, so whoever is not worse
            # than it is at or above the floor too.
            admitted = line_merit is not None and m <= line_merit
        entries.append(RankedEntry(c.application_no, c.total_cents, current_rank, admitted, c.ties))
    return RankingOutcome(
        quota=rule.quota if rule.method == "quota_line" else None,
        line_cents=line_cents,
        admitted=sum(1 for e in entries if e.admitted),
        entries=entries,
        method=rule.method,
        tie_breaks=rule.tie_breaks,
    )


def rank_results(totals: Iterable[tuple[str, int]], quota: int) -> RankingOutcome:
    """Beijing's rule on ``(application_no, total in cents)`` pairs with this ``quota``."""
    return rank((Candidate(no, t) for no, t in totals), RankingRule("quota_line", quota))


def parse_ranking(section: Mapping[str, Any], cents: Any) -> RankingRule:
    """The ``[ranking]`` section of a rule set (``cents`` turns points into hundredths)."""
    method = section.get("method")
    if method not in METHODS:
        raise ValueError(f"ranking.method must be one of {', '.join(METHODS)}")
    quota = section.get("quota")
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int)):
        raise ValueError(f"ranking.quota must be a whole number, not {quota!r}")
    threshold = section.get("threshold")
    ties: Sequence[Mapping[str, Any]] = section.get("tie_breaks", [])
    tie_breaks = []
    for i, t in enumerate(ties):
        key = t.get("key") if isinstance(t, Mapping) else None
        if not isinstance(key, str) or not key:
            raise ValueError(f"ranking.tie_breaks[{i}] needs a key")
        tie_breaks.append(TieBreak(key, str(t.get("order", "desc")), str(t.get("name", ""))))
    return RankingRule(
        method=method,
        quota=quota,
        threshold_cents=None if threshold is None else cents(threshold, "ranking.threshold"),
        tie_breaks=tuple(tie_breaks),
        reference=str(section.get("reference", "")),
    )
