"""What-if (模拟测算): the line and the admitted list of a round under another quota, another
rule set or a copy of a rule set with one changed parameter, and the difference per applicant.

Nothing of the round is written: the baseline is read (the round's current scoring run, else
the first results ranked under the round's rule set), the scenario is scored in memory with the
pure engine (``jifen.rules``: ``score`` and ``rank``) and returned; only the audit event is
stored. A round with more applications than ``STATS_WHATIF_MAX`` is computed as a background
job instead of within the page's request (``whatif_jobs``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from jifen.applications.models import Application
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.review.models import FirstResult
from jifen.rounds.models import RankedResult, Round
from jifen.rules import (
    INDICATORS,
    Candidate,
    RuleSet,
    load_rule_set,
    rank,
    score,
    to_result,
    validate_profile,
)
from jifen.rules.identity import check_digit
from jifen.rules.render_zh import reasons_zh
from jifen.rules.ruleset import available_rule_sets

from .whatif_params import changed_rule_set

REFUSED = "只有市人社局管理员可以使用模拟测算"
WHATIF_ACTION = "stats.whatif"
EXPORT_ACTION = "stats.whatif_export"

# The applicant's change of place, in the order the list shows them.
CHANGES = {
    "in": "新增取得落户资格",
    "out": "不再取得落户资格",
    "stays_in": "仍取得落户资格",
    "stays_out": "仍未取得落户资格",
}
CHANGE_ORDER = {k: i for i, k in enumerate(CHANGES)}


def max_applications() -> int:
    return int(getattr(settings, "STATS_WHATIF_MAX", 20_000))


@dataclass(frozen=True)
class Scenario:
    quota: int | None = None  # None: the round's
    rule_set: str | None = None  # None: the round's
    parameter: str | None = None  # a key of whatif_params.PARAMETERS
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Standing:
    total_cents: int | None
    eligible: bool
    rank: int | None
    admitted: bool
    indicators: dict[str, float]
    reasons: list[str] = field(default_factory=list)


def _points(s: Standing | None) -> str:
    return "—" if s is None or s.total_cents is None else f"{s.total_cents / 100:.2f}"


@dataclass
class Difference:
    application_no: str
    change: str  # a key of CHANGES
    before: Standing | None
    after: Standing | None
    why: list[str]

    @property
    def change_label(self) -> str:
        return CHANGES[self.change]

    @property
    def before_total(self) -> str:
        return _points(self.before)

    @property
    def after_total(self) -> str:
        return _points(self.after)

    @property
    def moved(self) -> bool:
        b, a = self.before, self.after
        if b is None or a is None:
            return True
        return (b.rank, b.total_cents, b.admitted) != (a.rank, a.total_cents, a.admitted)


@dataclass
class Side:
    label: str
    rule_set: str
    rule_set_version: str
    quota: int | None
    line_cents: int | None
    admitted: int
    eligible: int

    @property
    def line(self) -> str:
        return "—" if self.line_cents is None else f"{Decimal(self.line_cents) / 100:.2f}"


@dataclass
class WhatIf:
    round: Round
    scenario: Scenario
    description: str
    before: Side
    after: Side
    differences: list[Difference]  # every applicant ranked or scored on either side
    left_out: int  # applications without a first result (verification not finished)
    notes: list[str] = field(default_factory=list)

    def count(self, change: str) -> int:
        return sum(1 for d in self.differences if d.change == change)

    @property
    def count_in(self) -> int:
        return self.count("in")

    @property
    def count_out(self) -> int:
        return self.count("out")

    @property
    def changed(self) -> list[Difference]:
        return [d for d in self.differences if d.moved]

    def summary(self) -> dict[str, Any]:
        return {
            "year": self.round.year,
            "scenario": self.scenario.as_dict(),
            "description": self.description,
            "before": _side_dict(self.before),
            "after": _side_dict(self.after),
            "gets_in": self.count("in"),
            "drops_out": self.count("out"),
            "changed": len(self.changed),
            "left_out": self.left_out,
        }


def _side_dict(side: Side) -> dict[str, Any]:
    return {
        "label": side.label,
        "rule_set": side.rule_set,
        "rule_set_version": side.rule_set_version,
        "quota": side.quota,
        "line": None if side.line_cents is None else float(Decimal(side.line_cents) / 100),
        "admitted": side.admitted,
        "eligible": side.eligible,
    }


def _cents(value: Any) -> int | None:
    return None if value is None else int((Decimal(str(value)) * 100).to_integral_value())


def _stand_in_number(birth_date: str, sex: str) -> str:
    # The stored profile has no identity number (it is kept encrypted with the applicant);
    # the engine only checks it against the birth date and sex, so a well-formed stand-in with
    # both is enough (as jifen.review.results does when it scores).
    first17 = f"110101{date.fromisoformat(birth_date):%Y%m%d}00{'1' if sex == 'M' else '2'}"
    return first17 + check_digit(first17)


def _newest_results(rnd: Round) -> dict[str, dict[str, Any]]:
    """The newest first result of each application of ``rnd``, by application number."""
    out: dict[str, dict[str, Any]] = {}
    rows = (
        FirstResult.objects.filter(application__round=rnd)
        .order_by("application_id", "-id")
        .values("application_id", "application__number", "profile", "result", "eligible", "total")
    )
    seen: set[int] = set()
    for row in rows.iterator(chunk_size=2000):
        if row["application_id"] in seen:
            continue
        seen.add(row["application_id"])
        out[row["application__number"]] = row
    return out


def _rank(
    standings: dict[str, Standing], results: dict[str, dict[str, Any]], rs: RuleSet, quota: int
) -> tuple[int | None, int]:
    """Rank the eligible ``standings`` under ``rs`` with ``quota`` (filling rank and admitted);
    the line in cents and the number admitted."""
    rule = rs.ranking.with_quota(quota)
    candidates = [
        Candidate(
            no, s.total_cents or 0, rule.tie_values(results.get(no, {"indicators": s.indicators}))
        )
        for no, s in standings.items()
        if s.eligible and s.total_cents is not None
    ]
    outcome = rank(candidates, rule)
    for e in outcome.entries:
        standings[e.application_no].rank = e.rank
        standings[e.application_no].admitted = e.admitted
    return outcome.line_cents, outcome.admitted


def _baseline(rnd: Round, results: dict[str, dict[str, Any]]) -> tuple[Side, dict[str, Standing]]:
    rs = load_rule_set(rnd.rule_set)
    run = rnd.current_run
    if run is not None and run.state == "done":
        standings = {}
        for row in (
            RankedResult.objects.filter(run=run)
            .values(
                "application_no",
                "total",
                "eligible",
                "rank",
                "admitted",
                "indicators",
                "reasons_zh",
                "status",
            )
            .iterator(chunk_size=2000)
        ):
            if row["status"] == "incomplete":
                continue
            standings[row["application_no"]] = Standing(
                _cents(row["total"]),
                row["eligible"],
                row["rank"],
                bool(row["admitted"]),
                row["indicators"] or {},
                list(row["reasons_zh"] or []),
            )
        side = Side(
            f"当前积分评定（第{run.pk}号）",
            run.rule_set or rs.id,
            run.rule_set_version or rs.version,
            run.quota or rnd.quota,
            _cents(run.line),
            sum(1 for s in standings.values() if s.admitted),
            sum(1 for s in standings.values() if s.eligible),
        )
        return side, standings
    standings = {
        no: Standing(
            _cents(r["total"]), r["eligible"], None, False, r["result"].get("indicators", {})
        )
        for no, r in results.items()
    }
    line, admitted = _rank(standings, {n: r["result"] for n, r in results.items()}, rs, rnd.quota)
    side = Side(
        "初核结果按本年度规则排名",
        rs.id,
        rs.version,
        rnd.quota,
        line,
        admitted,
        sum(1 for s in standings.values() if s.eligible),
    )
    return side, standings


def _rescore(
    results: dict[str, dict[str, Any]], base: str, rs: RuleSet, year: int
) -> tuple[dict[str, Standing], dict[str, dict[str, Any]]]:
    """Score every verified profile under ``rs`` (validated under ``base``, whose code tables
    a changed copy shares)."""
    standings: dict[str, Standing] = {}
    scored: dict[str, dict[str, Any]] = {}
    dates = rs.dates(year)
    for no, row in results.items():
        profile = row["profile"]
        person = dict(profile.get("person", {}))
        person["id_number"] = _stand_in_number(person["birth_date"], person["sex"])
        checked = validate_profile({**profile, "person": person}, rule_set=base)
        # The changed copy shares the base's code tables and dates; only its numbers differ.
        checked.rule_set, checked.dates = rs, dates
        breakdown = score(checked)
        result = to_result(breakdown)
        scored[no] = result
        standings[no] = Standing(
            breakdown.total_cents,
            result["eligible"],
            None,
            False,
            result["indicators"],
            reasons_zh(breakdown) if not result["eligible"] else [],
        )
    return standings, scored


def _why(
    before: Standing | None, after: Standing | None, names: dict[str, str], quota_note: str
) -> list[str]:
    if before is None:
        return ["原排名中没有该申请（核验尚未完成或当时未参加排名）"]
    if after is None:
        return ["模拟测算中没有该申请"]
    out = []
    if before.eligible != after.eligible:
        if after.eligible:
            out.append("模拟规则下符合申报条件")
        else:
            out.append("模拟规则下不符合申报条件：" + "；".join(after.reasons or ["见积分说明"]))
    for code in INDICATORS:
        b, a = before.indicators.get(code), after.indicators.get(code)
        if b is not None and a is not None and _cents(b) != _cents(a):
            out.append(f"{names[code]}：{b:.2f} → {a:.2f}")
    if (
        before.total_cents != after.total_cents
        and before.total_cents is not None
        and after.total_cents is not None
    ):
        out.append(f"总积分：{before.total_cents / 100:.2f} → {after.total_cents / 100:.2f}")
    if before.admitted != after.admitted and quota_note:
        out.append(quota_note)
    elif (before.admitted != after.admitted or before.rank != after.rank) and not out:
        out.append("其他申请人的积分变化使排名变动")
    return out


def _change(before: Standing | None, after: Standing | None) -> str:
    was = bool(before and before.admitted)
    now = bool(after and after.admitted)
    return {(False, True): "in", (True, False): "out", (True, True): "stays_in"}.get(
        (was, now), "stays_out"
    )


def _round_for(actor: Any, year: int) -> Round:
    if getattr(actor, "role", None) != Role.BUREAU_ADMIN:
        raise NotPermitted(REFUSED)
    rnd = Round.objects.select_related("current_run").filter(year=year).first()
    if rnd is None:
        raise NotFound(f"没有{year}年度的积分落户", field="year")
    if rnd.source != "live":
        raise Conflict(
            f"{year}年度为公布名单导入的历史年度，没有可重新计分的核验数据", field="year"
        )
    return rnd


def check_scenario(*, actor: Any, year: int, scenario: Scenario) -> Round:
    """The round of ``year`` if ``scenario`` can be computed for ``actor``; else the refusal
    naming the field (a changed parameter's value is checked when the rule set is built)."""
    rnd = _round_for(actor, year)
    if scenario.quota is not None and not 1 <= scenario.quota <= 1_000_000:
        raise InvalidInput("落户指标数须为1到1000000之间的整数", field="quota")
    if scenario.rule_set and scenario.rule_set not in available_rule_sets():
        raise InvalidInput(f"没有名为“{scenario.rule_set[:40]}”的积分规则", field="rule_set")
    if scenario.parameter:
        changed_rule_set(scenario.rule_set or rnd.rule_set, scenario.parameter, scenario.value)
    return rnd


def too_big_for_a_request(year: int) -> bool:
    """Whether round ``year``'s what-if is a background job (more than STATS_WHATIF_MAX)."""
    return Application.objects.filter(round__year=year).count() > max_applications()


def compute_whatif(
    *, actor: Any, year: int, scenario: Scenario, purpose: str = "view", bounded: bool = True
) -> WhatIf:
    """The what-if of ``scenario`` for round ``year`` (bureau only); audited, nothing else
    written. ``bounded``: refuse a round too big for a page request (the background job
    passes False)."""
    rnd = check_scenario(actor=actor, year=year, scenario=scenario)
    base_name = scenario.rule_set or rnd.rule_set
    applications = Application.objects.filter(round=rnd).count()
    if bounded and applications > max_applications():
        raise Conflict(
            f"本年度共{applications}份申报，超过模拟测算在线计算的上限{max_applications()}份，"
            "请在页面上测算（后台计算）",
            field="year",
        )
    results = _newest_results(rnd)
    before_side, before = _baseline(rnd, results)
    quota = scenario.quota or rnd.quota
    notes: list[str] = []
    parts: list[str] = []
    if scenario.parameter:
        rs, param, old, new = changed_rule_set(base_name, scenario.parameter, scenario.value)
        parts.append(f"{param.label}由{old}调整为{new}（以{base_name}为基础）")
    else:
        rs = load_rule_set(base_name)
        if scenario.rule_set and scenario.rule_set != rnd.rule_set:
            parts.append(f"按{rs.title}（{rs.id}）计分")
    if quota != rnd.quota:
        parts.append(f"落户指标数由{rnd.quota}调整为{quota}")
    if not parts:
        parts.append("与本年度参数相同（核对用）")
    rescored = bool(scenario.parameter) or rs.id != rnd.rule_set
    if rescored:
        after, scored = _rescore(results, base_name, rs, rnd.year)
        notes.append(f"按各申请最新的初核结果（核验后的数据）重新计分，共{len(results)}份。")
    else:
        after = {no: dataclasses.replace(s, rank=None, admitted=False) for no, s in before.items()}
        scored = {no: {"indicators": s.indicators} for no, s in before.items()}
    line, admitted = _rank(after, scored, rs, quota)
    after_side = Side(
        "模拟测算",
        rs.id,
        rs.version,
        quota if rs.ranking.method == "quota_line" else None,
        line,
        admitted,
        sum(1 for s in after.values() if s.eligible),
    )
    left_out = applications - len(results)
    if left_out:
        notes.append(f"{left_out}份申报尚无初核结果（核验未完成），不参加测算。")
    quota_note = ""
    if quota != (before_side.quota or rnd.quota):
        quota_note = f"落户指标数调整为{quota}，分数线由{before_side.line}变为{after_side.line}"
    differences = []
    for no in sorted(set(before) | set(after)):
        b, a = before.get(no), after.get(no)
        differences.append(
            Difference(no, _change(b, a), b, a, _why(b, a, rs.indicator_names, quota_note))
        )
    differences.sort(
        key=lambda d: (
            CHANGE_ORDER[d.change],
            d.after.rank if d.after and d.after.rank else 10**9,
            d.application_no,
        )
    )
    outcome = WhatIf(
        rnd, scenario, "；".join(parts), before_side, after_side, differences, left_out, notes
    )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=EXPORT_ACTION if purpose == "export" else WHATIF_ACTION,
            target=rnd,
            after=outcome.summary(),
            detail=outcome.description[:500],
        )
    return outcome
