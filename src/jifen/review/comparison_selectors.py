"""Reads of the data comparisons (数据比对) for the pages and the API: who sees which runs, a
run's progress and outcome, and the applications it found different.

A reviewer of a verifying department sees their department's runs; the bureau's
administrators see every run, read-only; anyone else is refused. Another department's run is
"not found", as everywhere else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jifen.applications import declaration as decl
from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.rules import load_rule_set

from . import records
from .kinds import KIND_NAMES, VERIFYING_DEPARTMENTS
from .models import ComparisonRun, Decision, RunState

STAGE_NAMES = {
    "": "准备中",
    "reading": "读取文件",
    "comparing": "比对中",
    "writing": "写入结果",
    "scoring": "计算初核结果",
    "signals": "异常信号检测",
    "done": "完成",
}
# The summary's counts, in the spec's order, with their Chinese names.
COUNT_NAMES = {
    "rows": "文件记录行数",
    "persons": "文件涉及人数",
    "applications": "比对申报数",
    "matched": "比对一致",
    "different": "比对不一致",
    "not_in_round": "不在本年度申报中的人数",
}
REFUSED = "只有部门审核员和市人社局管理员可以查看数据比对"


def _is_department_reviewer(user: Any) -> bool:
    return user.role == Role.REVIEWER and user.department in VERIFYING_DEPARTMENTS


def may_see_comparisons(user: Any) -> bool:
    return _is_department_reviewer(user) or user.role == Role.BUREAU_ADMIN


def runs_for(user: Any, *, kind: str | None = None) -> QuerySet[ComparisonRun]:
    """The runs ``user`` may see, newest first: their department's, or every one for the
    bureau. NotPermitted for anyone else."""
    if not may_see_comparisons(user):
        raise NotPermitted(REFUSED)
    runs = ComparisonRun.objects.select_related("round", "started_by").order_by("-id")
    if user.role == Role.REVIEWER:
        runs = runs.filter(department=user.department)
    if kind:
        runs = runs.filter(kind=kind)
    return runs


def run_for(user: Any, run_id: int) -> ComparisonRun:
    """One run ``user`` may see; NotFound for another department's (or none)."""
    run = runs_for(user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("没有找到该次数据比对")
    return run


def finished(run: ComparisonRun) -> bool:
    return run.state != RunState.RUNNING


def percent(run: ComparisonRun) -> int:
    if finished(run) and run.state == RunState.DONE:
        return 100
    if run.total <= 0:
        return 0
    return min(100, run.done * 100 // run.total)


def status_of(run: ComparisonRun, *, errors: bool = True) -> dict[str, Any]:
    """A run as the status endpoints give it: its progress, then its summary (once written)
    or its refusal (every stored error, and how many there were in all)."""
    summary = {key: run.summary[key] for key in COUNT_NAMES} if run.summary else None
    out: dict[str, Any] = {
        "id": run.pk,
        "year": run.round.year,
        "kind": run.kind,
        "kind_name": KIND_NAMES[run.kind],
        "department": run.department,
        "file_name": run.file_name,
        "size": run.size,
        "sha256": run.sha256,
        "state": run.state,
        "state_name": run.get_state_display(),
        "stage": run.stage,
        "stage_name": STAGE_NAMES.get(run.stage, run.stage),
        "done": run.done,
        "total": run.total,
        "percent": percent(run),
        "finished": finished(run),
        "summary": summary,
        "error_count": run.error_count,
        "failure": run.failure,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
    if errors:
        out["errors"] = [
            {"line": e["line"], "column": e["column"], "message": e["message_zh"]}
            for e in run.errors
        ]
    return out


def error_line(error: dict[str, Any]) -> str:
    """``第 17 行，from 列：…`` (as ``RowError.zh``) from a stored error."""
    if error.get("column") is None:
        return f"第 {error['line']} 行：{error['message_zh']}"
    return f"第 {error['line']} 行，{error['column']} 列：{error['message_zh']}"


def mask_name(name: str) -> str:
    """The family name and a star for each other character: 王素芳 → 王**."""
    name = name or ""
    return name[:1] + "*" * (len(name) - 1)


def differences_of(run: ComparisonRun) -> QuerySet[Decision]:
    """This run's decisions on items it found different, by application number."""
    return (
        Decision.objects.filter(comparison=run, matched=False)
        .select_related("application", "application__applicant", "application__round")
        .order_by("application__number", "id")
    )


def difference_rows(run: ComparisonRun, decisions: list[Decision]) -> list[dict[str, Any]]:
    """One row per decision: the application, the applicant's masked name, the item, and
    what is declared but not on record and on record but not declared (Chinese labels)."""
    names = records.code_names(load_rule_set(run.round.rule_set))
    rows = []
    for d in decisions:
        app = d.application
        # The person's fields play no part in any kind but the conditions: no decryption.
        profile = decl.to_profile(
            app.data, year=app.round.year, rule_set=app.round.rule_set,
            application_no=app.number, id_number="", name="", sex=app.applicant.sex,
            birth_date="",
        )
        diff = records.differences(
            run.kind, records.declared(run.kind, profile), d.value, names=names
        )
        rows.append(
            {
                "application_id": app.pk,
                "application_no": app.number,
                "name": mask_name(app.applicant.name),
                "item_id": d.item_id,
                "decision_id": d.pk,
                "only_declared": diff.only_declared,
                "only_recorded": diff.only_recorded,
            }
        )
    return rows
