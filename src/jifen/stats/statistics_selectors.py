"""Reads for the statistics page (统计): aggregates computed in SQL, never row by row.

A round's figures come from its current scoring run (``RankedResult`` rows, a published
list's rows for a past round); a live round not scored yet falls back on the newest first
result (初核结果) of each application. Every function returns a :class:`Table` (the numbers
the page shows beside its chart and the XLSX holds); the chart's data is built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Floor, Substr

from jifen.applications.models import Application, Status
from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.review.models import FirstResult
from jifen.review.selectors import overdue
from jifen.rounds import phases
from jifen.rounds.models import RankedResult, Round
from jifen.rules import INDICATORS
from jifen.rules.ruleset import RuleSetError, load_rule_set, newest_rule_set

from .history import published_figures

VIEWER_ROLES = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR})
# Width of a bar of the distribution of totals (points).
BIN_WIDTH = 5
# Age bands (completed years on the round's age reference date, 1 January of Y-1), inclusive.
AGE_BANDS: tuple[tuple[int | None, int | None], ...] = (
    (None, 35),
    (36, 40),
    (41, 45),
    (46, 50),
    (51, None),
)


def require_viewer(user: Any) -> None:
    """The bureau's administrators and the auditors (read-only) see the statistics."""
    if not getattr(user, "is_authenticated", False) or user.role not in VIEWER_ROLES:
        raise NotPermitted("统计分析仅供市人社局管理员和审计员查看")


@dataclass
class Table:
    """One chart's numbers: Chinese column headers and rows of plain values."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""
    chart: dict[str, Any] = field(default_factory=dict)  # the ECharts data (see statistics.js)


# ---------------------------------------------------------------- the rows of a round


@dataclass(frozen=True)
class RoundRows:
    """The rows a round's statistics are made of, with the expressions to read them."""

    round: Round
    rows: QuerySet
    basis: str  # Chinese: where the numbers come from
    line: Decimal | None
    indicators: Any  # the JSON expression holding {code: points}
    birth_month: Any  # an expression giving "YYYY-MM"
    scored: bool  # rows from a scoring run (rank and admitted known)


def round_rows(rnd: Round) -> RoundRows:
    run = rnd.current_run
    if run is not None:
        return RoundRows(
            round=rnd,
            rows=RankedResult.objects.filter(run=run, status="ranked"),
            basis="公布名单" if run.kind == "published" else f"积分评定结果（第 {run.pk} 批次）",
            line=run.line,
            indicators=F("indicators"),
            birth_month=F("birth_month"),
            scored=True,
        )
    newer = FirstResult.objects.filter(application=OuterRef("application"), pk__gt=OuterRef("pk"))
    return RoundRows(
        round=rnd,
        rows=FirstResult.objects.filter(application__round=rnd, eligible=True).exclude(
            Exists(newer)
        ),
        basis="初核结果（尚未积分评定）",
        line=None,
        indicators=KeyTransform("indicators", "result"),
        birth_month=Substr(KeyTextTransform("birth_date", KeyTransform("person", "profile")), 1, 7),
        scored=False,
    )


def _points(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


# ---------------------------------------------------------------- the distribution of totals


def distribution(src: RoundRows, width: int = BIN_WIDTH) -> Table:
    """How many totals fall in each band of ``width`` points, and how many of them were
    admitted; the line is marked on the chart."""
    rows = (
        src.rows.annotate(bin=Cast(Floor(F("total") / width), IntegerField()))
        .values("bin")
        .annotate(n=Count("pk"), admitted=Count("pk", filter=_admitted_q(src)))
        .order_by("bin")
    )
    out = [
        [f"{r['bin'] * width}–{(r['bin'] + 1) * width}", r["n"], r["admitted"]]
        for r in rows
        if r["bin"] is not None
    ]
    line_label = None
    if src.line is not None:
        b = int(src.line // width)
        line_label = f"{b * width}–{(b + 1) * width}"
    table = Table(
        key="distribution",
        title="积分分布与分数线",
        columns=["分数段", "人数", "其中落户"],
        rows=out,
        note=(
            f"分数线 {src.line} 分（在 {line_label} 分数段）"
            if src.line is not None
            else "尚无分数线"
        ),
    )
    table.chart = {
        "type": "bar",
        "categories": [r[0] for r in out],
        "series": [
            {"name": "人数", "data": [r[1] for r in out]},
            {"name": "其中落户", "data": [r[2] for r in out]},
        ],
        "markLine": (
            {"category": line_label, "label": f"分数线 {src.line}"} if line_label else None
        ),
    }
    return table


def _admitted_q(src: RoundRows) -> Q:
    return Q(admitted=True) if src.scored else Q(pk__in=[])


# ---------------------------------------------------------------- indicators


def _rule_set(rnd: Round) -> Any:
    try:
        return load_rule_set(rnd.rule_set)
    except RuleSetError:  # a round of a rule set no longer shipped still has statistics
        return newest_rule_set()


def indicators(src: RoundRows) -> Table:
    """Each indicator's average and its share of the sum of the totals (deductions negative);
    empty when the rows carry no components (a totals-only published list)."""
    sums = {
        code: Sum(Cast(KeyTextTransform(code, src.indicators), FloatField())) for code in INDICATORS
    }
    with_parts = src.rows.annotate(
        _employment=KeyTextTransform("employment", src.indicators)
    ).filter(_employment__isnull=False)
    agg = with_parts.aggregate(
        counted=Count("pk"), total=Sum(Cast(F("total"), FloatField())), **sums
    )
    counted = agg["counted"]
    names = _rule_set(src.round).indicator_names
    rows: list[list[Any]] = []
    if counted:
        total = agg["total"] or 0.0
        for code in INDICATORS:
            s = agg[code] or 0.0
            rows.append(
                [
                    names[code],
                    round(s / counted, 2),
                    round(100 * s / total, 1) if total else None,
                ]
            )
    table = Table(
        key="indicators",
        title="各项指标平均分与占总分比例",
        columns=["指标", "平均分", "占总分比例（%）"],
        rows=rows,
        note=f"{counted:,} 人有各项指标得分" if counted else "该年度名单只有总分，没有各项指标得分",
    )
    table.chart = {
        "type": "bar",
        "horizontal": True,
        "categories": [r[0] for r in rows],
        "series": [{"name": "平均分", "data": [r[1] for r in rows]}],
    }
    return table


# ---------------------------------------------------------------- age bands


def _band_label(low: int | None, high: int | None) -> str:
    if low is None:
        return f"{high} 岁及以下"
    if high is None:
        return f"{low} 岁及以上"
    return f"{low}–{high} 岁"


def age_bands(src: RoundRows) -> Table:
    """Applicants by age on 1 January of Y-1, from the birth month (a month born in counts
    as before that day, the day being unknown)."""
    ref = src.round.year - 1  # completed years on ref-01-01: ref - birth year - 1
    whens = []
    for i, (low, high) in enumerate(AGE_BANDS):
        q = Q()
        if high is not None:  # age <= high  <=>  birth year >= ref - 1 - high
            q &= Q(_bm__gte=f"{ref - 1 - high:04d}-01")
        if low is not None:  # age >= low  <=>  birth year <= ref - 1 - low
            q &= Q(_bm__lt=f"{ref - low:04d}-01")
        whens.append(When(q, then=Value(i)))
    rows = (
        src.rows.annotate(_bm=src.birth_month)
        .exclude(_bm__isnull=True)
        .exclude(_bm="")
        .annotate(band=Case(*whens, default=Value(-1), output_field=IntegerField()))
        .values("band")
        .annotate(n=Count("pk"), admitted=Count("pk", filter=_admitted_q(src)))
    )
    counts = {r["band"]: (r["n"], r["admitted"]) for r in rows}
    out = [
        [_band_label(low, high), *counts.get(i, (0, 0))] for i, (low, high) in enumerate(AGE_BANDS)
    ]
    table = Table(
        key="age",
        title="年龄段分布",
        columns=["年龄段", "人数", "其中落户"],
        rows=out,
        note=f"年龄按 {ref} 年 1 月 1 日的周岁计（由出生年月推算）",
    )
    table.chart = {
        "type": "bar",
        "categories": [r[0] for r in out],
        "series": [{"name": "人数", "data": [r[1] for r in out]}],
    }
    return table


# ---------------------------------------------------------------- education tiers


def education_tiers(src: RoundRows) -> Table:
    """Applicants by their education points, named by the tier whose level and degree earn
    them (the points are what the lists publish; a level or degree alone may earn the points
    of a lower tier, see the rule set)."""
    rs = _rule_set(src.round)
    names_by_cents = {}
    for tier in reversed(rs.education_tiers):
        names_by_cents[rs.education_with[tier]] = rs.level_names[tier]
    rows = (
        src.rows.annotate(_edu=Cast(KeyTextTransform("education", src.indicators), FloatField()))
        .exclude(_edu__isnull=True)
        .values("_edu")
        .annotate(n=Count("pk"), admitted=Count("pk", filter=_admitted_q(src)))
        .order_by("_edu")
    )
    out = []
    for r in rows:
        cents = round(r["_edu"] * 100)
        label = "无学历加分" if cents == 0 else names_by_cents.get(cents, "其他")
        out.append([f"{cents / 100:g} 分（{label}）", r["n"], r["admitted"]])
    table = Table(
        key="education",
        title="教育背景（按得分）",
        columns=["教育背景得分", "人数", "其中落户"],
        rows=out,
        note="" if out else "该年度名单只有总分，没有教育背景得分",
    )
    table.chart = {
        "type": "pie",
        "categories": [r[0] for r in out],
        "series": [{"name": "人数", "data": [r[1] for r in out]}],
    }
    return table


# ---------------------------------------------------------------- over the years


def years() -> Table:
    """Each year's line, admitted and applicants: the rounds in the system (imported
    published lists and live rounds), and the published figures of years not imported."""
    figures = published_figures()
    rounds = {
        r.year: r
        for r in Round.objects.select_related("current_run").annotate(
            n_applications=Count("applications")
        )
    }
    rows = []
    for year in sorted(set(figures) | set(rounds)):
        rnd = rounds.get(year)
        fig = figures.get(year)
        run = rnd.current_run if rnd else None
        if run is not None:
            line, admitted = _points(run.line), run.admitted
            source = "公布名单导入" if rnd.source == "published" else "本系统办理"
        elif fig is not None and (rnd is None or rnd.source == "published"):
            line, admitted = _points(fig.line), fig.admitted
            source = "公布数据"
        else:
            line, admitted, source = None, None, "本系统办理（尚未积分评定）"
        if rnd is not None and rnd.source == "live":
            applicants = rnd.n_applications
        else:
            applicants = (rnd.applicants_reported if rnd else None) or (
                fig.applicants if fig else None
            )
        rows.append(
            [
                year,
                line,
                admitted,
                applicants,
                _points(fig.line) if fig else None,
                fig.admitted if fig else None,
                source,
            ]
        )
    table = Table(
        key="years",
        title="历年分数线与落户人数",
        columns=[
            "年度",
            "分数线",
            "落户人数",
            "申报人数",
            "公布分数线",
            "公布落户人数",
            "来源",
        ],
        rows=rows,
        note="公布数据见 jifen/stats/history_published.toml（北京市人社局历年公示）",
    )
    table.chart = {
        "type": "line",
        "categories": [str(r[0]) for r in rows],
        "series": [
            {"name": "分数线", "data": [r[1] for r in rows]},
            {"name": "落户人数", "data": [r[2] for r in rows], "axis": 1, "type": "bar"},
        ],
        "axes": ["分数线（分）", "落户人数（人）"],
    }
    return table


# ---------------------------------------------------------------- the live round


def phase_table(rnd: Round) -> Table:
    """The round's phases with their windows and state (no chart: a timetable)."""
    rows = [
        [
            s.label,
            s.opens.date().isoformat() if s.opens else "",
            s.closes.date().isoformat() if s.closes else "",
            s.state_label,
        ]
        for s in phases.states(rnd)
    ]
    return Table(
        key="phases",
        title="各阶段时间与状态",
        columns=["阶段", "开始", "截止", "状态"],
        rows=rows,
    )


def applications_by_state(rnd: Round) -> Table:
    """The round's applications by state: the declaration's status, then how many have a
    first result (verified) and, once scored, how the run listed them."""
    counts = {
        r["status"]: r["n"]
        for r in Application.objects.filter(round=rnd)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    }
    rows: list[list[Any]] = [[Status(s).label, counts.get(s, 0)] for s in Status.values]
    verified = (
        FirstResult.objects.filter(application__round=rnd).values("application").distinct().count()
    )
    rows.append(["已出初核结果", verified])
    run = rnd.current_run
    if run is not None and run.kind != "published":
        by_status = {
            r["status"]: r["n"]
            for r in run.results.order_by().values("status").annotate(n=Count("pk"))
        }
        rows += [
            ["积分评定：参与排名", by_status.get("ranked", 0)],
            ["积分评定：不符合申报条件", by_status.get("ineligible", 0)],
            ["积分评定：核验未完成", by_status.get("incomplete", 0)],
            ["积分评定：拟落户", run.admitted],
        ]
    table = Table(
        key="applications",
        title="申报进度（按状态）",
        columns=["状态", "人数"],
        rows=rows,
        note=f"当前阶段：{_open_phases(rnd)}",
    )
    table.chart = {
        "type": "bar",
        "horizontal": True,
        "categories": [r[0] for r in rows],
        "series": [{"name": "人数", "data": [r[1] for r in rows]}],
    }
    return table


def _open_phases(rnd: Round) -> str:
    open_now = [s.label for s in phases.states(rnd) if s.state == "open"]
    return "、".join(open_now) if open_now else "无进行中的阶段"


def backlogs(rnd: Round) -> Table:
    """Open verification items per department and how many are overdue."""
    loads = overdue(rnd)
    rows = [[ld.label, ld.total, ld.waiting, ld.overdue, ld.recheck] for ld in loads]
    table = Table(
        key="backlogs",
        title="各部门待核验事项",
        columns=["核验部门", "核验事项", "待核验", "已超期", "复查中"],
        rows=rows,
    )
    table.chart = {
        "type": "bar",
        "categories": [r[0] for r in rows],
        "series": [
            {"name": "待核验", "data": [r[2] for r in rows]},
            {"name": "已超期", "data": [r[3] for r in rows]},
        ],
    }
    return table


# ---------------------------------------------------------------- the page


@dataclass
class Statistics:
    round: Round | None
    rounds: list[Round]
    basis: str
    tables: list[Table]


def _builders(rnd: Round | None) -> dict[str, Any]:
    """Each table's key and how to make it, in the page's order."""
    out: dict[str, Any] = {}
    if rnd is not None:
        src = round_rows(rnd)
        out |= {
            "distribution": lambda: distribution(src),
            "indicators": lambda: indicators(src),
            "age": lambda: age_bands(src),
            "education": lambda: education_tiers(src),
        }
    out["years"] = years
    if rnd is not None and rnd.source == "live":
        out |= {
            "applications": lambda: applications_by_state(rnd),
            "phases": lambda: phase_table(rnd),
            "backlogs": lambda: backlogs(rnd),
        }
    return out


def _pick(rounds: list[Round], year: int | None) -> Round | None:
    if year:
        found = next((r for r in rounds if r.year == year), None)
        if found is None:
            raise NotFound(f"没有 {year} 年度的积分落户数据")
        return found
    return next((r for r in rounds if r.source == "live"), None) or (rounds[0] if rounds else None)


def pick_round(year: int | None) -> Round | None:
    """The round the page shows: ``year``'s (NotFound when none), else the live round, else
    the newest."""
    return _pick(list(Round.objects.select_related("current_run").order_by("-year")), year)


def statistics(user: Any, *, year: int | None = None) -> Statistics:
    """Every table of the page for ``year`` (default: the live round, else the newest)."""
    require_viewer(user)
    rounds = list(Round.objects.select_related("current_run").order_by("-year"))
    rnd = _pick(rounds, year)
    tables = [build() for build in _builders(rnd).values()]
    basis = round_rows(rnd).basis if rnd is not None else ""
    return Statistics(round=rnd, rounds=rounds, basis=basis, tables=tables)


def statistics_table(user: Any, key: str, *, year: int | None = None) -> Table | None:
    """One table of the page (for its XLSX download); None when the page has no such table."""
    require_viewer(user)
    rnd = pick_round(year)
    build = _builders(rnd).get(key)
    return build() if build is not None else None
