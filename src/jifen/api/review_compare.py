"""Data comparison (数据比对) over the API: upload a department's file, follow its run, read the
differences. For department reviewers (their department's kinds and runs) and the bureau's
administrators (every run, read-only); staff call it with their signed-in session."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field as NinjaField
from ninja import File, Form, Path, Query, Router, Schema, Status, UploadedFile

from jifen.applications.evidence_checks import size_label
from jifen.review import comparison_selectors as selectors
from jifen.review.comparison_uploads import accept_upload
from jifen.review.kinds import KINDS
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round

from .schemas import MAX_ID, MAX_PAGE, ErrorOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}

router = Router(tags=["数据比对"])

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="数据比对编号")]
KindCode = Literal[KINDS]  # type: ignore[valid-type]


class SummaryOut(Schema):
    rows: int
    persons: int
    applications: int
    matched: int
    different: int
    not_in_round: int


class RowErrorOut(Schema):
    line: int
    column: str | None = NinjaField(None, description="列名；整行或整个文件的问题为 null")
    message: str


class ComparisonOut(Schema):
    id: int
    year: int
    kind: str
    kind_name: str
    department: str
    file_name: str
    size: int
    sha256: str
    state: str = NinjaField(..., description="running 比对中 / done 已完成 / refused 文件被拒绝 / "
                            "failed 出错")
    state_name: str
    stage: str = NinjaField(..., description="reading / comparing / writing / scoring / done")
    stage_name: str
    done: int
    total: int
    percent: int
    finished: bool
    summary: SummaryOut | None = NinjaField(None, description="比对结果（写入后）")
    error_count: int = NinjaField(..., description="文件被拒绝时的错误总数")
    failure: str = NinjaField(..., description="出错原因（state 为 failed 时）")
    started_at: str
    finished_at: str | None = None


class ComparisonDetailOut(ComparisonOut):
    errors: list[RowErrorOut] = NinjaField(
        ..., description="文件被拒绝时的每一处错误（最多保存 1000 处，总数见 error_count）"
    )


class DifferenceOut(Schema):
    application_id: int
    application_no: str
    name: str = NinjaField(..., description="申请人姓名（部分隐藏）")
    item_id: int = NinjaField(..., description="核验事项编号")
    decision_id: int
    only_declared: list[str] = NinjaField(..., description="仅申报中有的内容")
    only_recorded: list[str] = NinjaField(..., description="仅部门记录中有的内容")


class DifferencesOut(Schema):
    count: int
    items: list[DifferenceOut]


def _round(year: int | None) -> Round | None:
    if year is None:
        return current_round()
    return Round.objects.filter(year=year).first()


@router.post(
    "/review/comparisons",
    response={202: ComparisonOut, **ERRORS},
    summary="上传部门记录，开始数据比对（部门审核员）",
    description=(
        "multipart/form-data：kind（记录类别，须为本部门负责的类别）、year（积分落户年度，"
        "缺省为当前年度）、file（CSV UTF-8 或 XLSX，不超过 "
        f"{size_label(settings.COMPARISON_MAX_BYTES)}）。文件为该类别的完整记录。立即返回比对编号，"
        "比对在后台进行，用 GET /api/review/comparisons/{run_id} 查看进度和结果。"
        "同一年度同一类别正在比对时返回 409 comparison_running。"
    ),
)
def comparison_upload(
    request: HttpRequest,
    kind: Annotated[KindCode, Form(..., description="记录类别，如 social_insurance")],
    file: Annotated[UploadedFile, File(...)],
    year: Annotated[int | None, Form(None, ge=2000, le=2100, description="积分落户年度")] = None,
) -> Status[Any]:
    run = accept_upload(actor=request.auth, kind=kind, upload=file, round_=_round(year))
    return Status(202, selectors.status_of(run, errors=False))


@router.get(
    "/review/comparisons",
    response={200: list[ComparisonOut], **ERRORS},
    summary="数据比对记录",
    description="部门审核员看到本部门的数据比对，市人社局管理员看到全部；最近的在前。",
)
def comparison_list(
    request: HttpRequest,
    kind: Annotated[KindCode | None, Query(description="按记录类别筛选")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    runs = selectors.runs_for(request.auth, kind=kind)
    return [selectors.status_of(r, errors=False) for r in runs[offset : offset + limit]]


@router.get(
    "/review/comparisons/{run_id}",
    response={200: ComparisonDetailOut, **ERRORS},
    summary="数据比对的进度和结果",
    description=(
        "进度（stage、done/total、percent）；完成后有 summary（与 compare_records 命令的输出"
        "相同）；文件被拒绝时 errors 列出每一处错误（行、列、原因）。"
    ),
)
def comparison_status(request: HttpRequest, run_id: RunId) -> dict[str, Any]:
    return selectors.status_of(selectors.run_for(request.auth, run_id))


@router.get(
    "/review/comparisons/{run_id}/differences",
    response={200: DifferencesOut, **ERRORS},
    summary="比对不一致的申报",
    description="该次比对中申报与部门记录不一致的核验事项，按申请编号排列，每项列出差异。",
)
def comparison_differences(
    request: HttpRequest,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> dict[str, Any]:
    run = selectors.run_for(request.auth, run_id)
    decisions = selectors.differences_of(run)
    return {
        "count": decisions.count(),
        "items": selectors.difference_rows(run, list(decisions[offset : offset + limit])),
    }
