"""Reads of the scoring runs (积分评定) for the bureau's page and the API: the round, its runs,
the current run's lists (ranked, ineligible, incomplete), searchable by application number.

Only the bureau's administrators see them; anyone else is refused. The lists hold application
numbers and scores, no names or identity numbers (those come with the publication).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Role

from .models import RankedResult, Round, ScoringRun

REFUSED = "只有市人社局管理员可以进行积分评定"
LISTS = {"ranked": "排名名单", "ineligible": "不符合申报条件", "incomplete": "核验未完成"}


def require_bureau(user: Any) -> None:
    if getattr(user, "role", None) != Role.BUREAU_ADMIN:
        raise NotPermitted(REFUSED)


def round_for(user: Any, year: int) -> Round:
    require_bureau(user)
    rnd = Round.objects.select_related("current_run").filter(year=year).first()
    if rnd is None:
        raise NotFound(f"没有 {year} 年度的积分落户年度")
    return rnd


def runs_of(rnd: Round) -> QuerySet[ScoringRun]:
    """The round's scoring runs, newest first (the history)."""
    return ScoringRun.objects.filter(round=rnd, kind="score").select_related("started_by")


def run_for(user: Any, year: int, run_id: int) -> ScoringRun:
    rnd = round_for(user, year)
    run = runs_of(rnd).filter(pk=run_id).first()
    if run is None:
        raise NotFound("没有找到该积分评定批次")
    return run


def results_of(rnd: Round, list_name: str = "ranked", q: str = "") -> QuerySet[RankedResult]:
    """One list of the round's current run, in listing order; ``q`` searches the number."""
    if rnd.current_run_id is None:
        return RankedResult.objects.none()
    rows = RankedResult.objects.filter(run_id=rnd.current_run_id, status=list_name)
    q = q.strip()
    if q:
        rows = rows.filter(application_no__startswith=q) if q.isdigit() else rows.none()
    return rows.order_by("position")


def result_row(r: RankedResult) -> dict[str, Any]:
    return {
        "application_no": r.application_no,
        "position": r.position,
        "status": r.status,
        "rank": r.rank,
        "total": None if r.total is None else float(r.total),
        "admitted": r.admitted,
        "eligible": r.eligible,
        "indicators": r.indicators,
        "reasons": r.reasons,
        "reasons_zh": r.reasons_zh,
    }
