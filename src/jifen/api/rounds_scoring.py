"""The scoring run (积分评定) over the API: start, stop, follow a run, read the current
results. For the bureau's administrators only (anyone else 403)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field as NinjaField
from ninja import Path, Query, Router, Schema, Status

from jifen.rounds import scoring
from jifen.rounds import scoring_selectors as selectors

from .schemas import MAX_ID, MAX_PAGE, ErrorOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

router = Router(tags=["积分评定"])

Year = Annotated[int, Path(ge=2000, le=2100, description="积分落户年度")]
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="积分评定批次编号")]


class OutcomeOut(Schema):
    year: int
    applications: int
    scored: int
    eligible: int
    incomplete: int
    line: float | None
    admitted: int
    run: int


class RunOut(Schema):
    run: int
    state: str = NinjaField(
        ...,
        description="queued 排队中 / running 计算中 / done 已完成 / failed 失败 / stopped 已停止",
    )
    state_name: str
    stage: str = NinjaField(..., description="scoring / ranking / writing / switching / done")
    stage_name: str
    done: int
    total: int
    percent: int
    rate: float | None = NinjaField(None, description="每秒处理份数（运行中）")
    seconds_left: int | None = NinjaField(None, description="预计剩余秒数（运行中）")
    finished: bool
    stop_requested: bool
    error: str
    outcome: OutcomeOut | None = NinjaField(
        None, description="完成后的结果，与 score_round 命令的输出相同"
    )


class ScoringResultOut(Schema):
    application_no: str
    position: int
    status: str
    rank: int | None
    total: float | None
    admitted: bool | None
    eligible: bool
    indicators: dict[str, float]
    reasons: list[str]
    reasons_zh: list[str]


class ResultsOut(Schema):
    run: int | None = NinjaField(..., description="当前结果的评定批次；尚未评定为 null")
    line: float | None
    admitted: int | None
    count: int
    items: list[ScoringResultOut]


@router.post(
    "/rounds/{year}/scoring/runs",
    response={202: RunOut, **ERRORS},
    summary="开始积分评定（市人社局管理员）",
    description=(
        "在积分评定阶段内开始一个评定批次，在后台计算并排名；立即返回批次，用 "
        "GET /api/rounds/{year}/scoring/runs/{run_id} 查看进度。已有批次排队或计算中时返回 409 "
        "conflict；不在积分评定阶段返回 409 outside_window。"
    ),
)
def scoring_start(request: HttpRequest, year: Year) -> Status[Any]:
    rnd = selectors.round_for(request.auth, year)
    run = scoring.start_run(actor=request.auth, round=rnd)
    run.refresh_from_db()
    return Status(202, scoring.status_of(run))


@router.get(
    "/rounds/{year}/scoring/runs",
    response={200: list[RunOut], **ERRORS},
    summary="积分评定记录",
    description="该年度的评定批次，最近的在前。",
)
def scoring_runs(
    request: HttpRequest,
    year: Year,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    rnd = selectors.round_for(request.auth, year)
    return [scoring.status_of(r) for r in selectors.runs_of(rnd)[offset : offset + limit]]


@router.get(
    "/rounds/{year}/scoring/runs/{run_id}",
    response={200: RunOut, **ERRORS},
    summary="积分评定的进度和结果",
)
def scoring_run(request: HttpRequest, year: Year, run_id: RunId) -> dict[str, Any]:
    return scoring.status_of(selectors.run_for(request.auth, year, run_id))


@router.post(
    "/rounds/{year}/scoring/runs/{run_id}/stop",
    response={200: RunOut, **ERRORS},
    summary="停止积分评定",
    description="排队中的批次立即停止；计算中的批次在下一批数据之间停止。本年度原有结果不变。",
)
def scoring_stop(request: HttpRequest, year: Year, run_id: RunId) -> dict[str, Any]:
    run = selectors.run_for(request.auth, year, run_id)
    return scoring.status_of(scoring.request_stop(actor=request.auth, run=run))


@router.get(
    "/rounds/{year}/scoring/results",
    response={200: ResultsOut, **ERRORS},
    summary="当前评定结果",
    description=(
        "list：ranked 排名名单（按名次，同分按申请编号）/ ineligible 不符合申报条件（附原因）/ "
        "incomplete 核验未完成；q：按申请编号开头查找。"
    ),
)
def scoring_results(
    request: HttpRequest,
    year: Year,
    which: Annotated[
        Literal["ranked", "ineligible", "incomplete"], Query(alias="list", description="名单")
    ] = "ranked",
    q: Annotated[str, Query(max_length=20, description="申请编号（开头）")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> dict[str, Any]:
    rnd = selectors.round_for(request.auth, year)
    rows = selectors.results_of(rnd, which, q)
    run = rnd.current_run
    return {
        "run": run.pk if run else None,
        "line": None if run is None or run.line is None else float(run.line),
        "admitted": run.admitted if run else None,
        "count": rows.count(),
        "items": [selectors.result_row(r) for r in rows[offset : offset + limit]],
    }
