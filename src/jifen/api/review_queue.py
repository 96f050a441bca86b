"""The reviewers' work over the API: their department's queue with its counts, one item,
the decisions (confirm, correct, reject, bulk confirm); and the bureau's overview.

Staff use the API with their signed-in session (staff accounts get no tokens): writes need the
X-CSRFToken header. Permissions are the services' and selectors': a reviewer sees and decides
their department's items only (another's is 404), everyone else gets 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from jifen.core.errors import NotFound
from jifen.review import decisions, selectors
from jifen.review.corrections import COLUMNS, MAX_ROWS
from jifen.review.models import Decision, ItemState, Kind, VerificationItem
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round

from .schemas import MAX_ID, STORABLE, ErrorOut, Text20, Text150, Text500

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}
PAGE_SIZE = 50

router = Router(tags=["部门核验"])

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="核验事项编号")]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="年度（默认当前年度）")]
Cell = Annotated[str, StringConstraints(max_length=200), STORABLE] | int | float | bool | None


# --- bodies ----------------------------------------------------------------------------------


class QueueItemOut(Schema):
    id: int
    application_id: int
    application_no: str
    kind: str
    kind_name: str
    employer: str
    state: str
    state_name: str
    matched: bool | None = Field(..., description="最近一次数据比对的结果（null：尚未比对）")
    recheck: str = Field(
        ..., description="复查：空、open（复查中）、onsite（待现场核验）、answered（已答复）"
    )
    opened_at: datetime
    due_on: date | None
    decided_at: datetime | None
    waiting_days: int = Field(..., description="已等待的工作日（已决定的至决定之日）")
    overdue: bool = Field(..., description="尚未决定且已过核验时限")
    bulk_confirmable: bool = Field(..., description="可批量确认（比对一致且不在复查中）")


class QueueCounts(Schema):
    total: int
    waiting: int
    matched: int
    different: int
    confirmed: int
    corrected: int
    rejected: int
    overdue: int
    recheck: int


class QueueOut(Schema):
    year: int | None
    counts: QueueCounts = Field(..., description="本部门本年度各状态的事项数（不受筛选影响）")
    count: int = Field(..., description="符合筛选条件的事项数")
    page: int
    pages: int
    items: list[QueueItemOut]


class ItemApplicantOut(Schema):
    name: str
    id_number_masked: str


class ItemDifferencesOut(Schema):
    only_declared: list[str]
    only_recorded: list[str]


class HistoryOut(Schema):
    decision_id: int
    created_at: datetime
    actor: str
    source: str
    source_name: str
    action: str
    action_name: str
    matched: bool | None
    value: Any
    value_lines: list[str]
    reason: str
    file_name: str


class EvidenceFileOut(Schema):
    id: int
    name: str
    size: int
    uploaded_at: datetime
    download_url: str


class ItemDetailOut(Schema):
    item: QueueItemOut
    applicant: ItemApplicantOut
    section: str
    columns: list[str] = Field(
        ..., description="更正时每行记录的列（居住证、刑事犯罪记录为空：取值为是/否）"
    )
    declared: Any = Field(..., description="申报的内容（该类记录在申报 profile 中的部分）")
    declared_lines: list[str]
    recorded: Any = Field(..., description="部门记录（最近一次数据比对；null：尚未比对）")
    recorded_lines: list[str]
    differences: ItemDifferencesOut
    verified: Any = Field(..., description="当前核验结果（最近一次决定的核验值；null：尚未决定）")
    verified_lines: list[str] | None
    history: list[HistoryOut] = Field(..., description="核验记录，最新的在前")
    evidence: list[EvidenceFileOut]


class ConfirmIn(Schema):
    reason: Text500 = Field("", description="理由（可选）")


class CorrectIn(Schema):
    value: bool | Text20 | Annotated[list[dict[Text20, Cell]], Field(max_length=MAX_ROWS)] = Field(
        ...,
        description=(
            "核验后的记录：居住证、刑事犯罪记录为 true/false（或“是”/“否”）；其他事项为若干行，"
            "每行一个对象，列与部门数据文件相同（不含 id_number），如住所 "
            '[{"kind": "owned", "from": "2016-01", "to": "2021-12", "district": "通州区"}]'
        ),
    )
    reason: Text500 = Field(..., description="更正理由（必填）")


class RejectIn(Schema):
    reason: Text500 = Field(..., description="不予认定的理由（必填）")


class DecisionOut(Schema):
    decision_id: int
    action: str
    value: Any
    reason: str
    item: QueueItemOut


class BulkIn(Schema):
    item_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        ..., max_length=decisions.MAX_BULK, description="要确认的核验事项编号"
    )


class BulkOut(Schema):
    confirmed: int
    skipped: int = Field(..., description="不是本部门比对一致、未在复查中的事项，未予确认")
    decision_ids: list[int]


class DepartmentLoadOut(Schema):
    department: str
    name: str
    days: int = Field(..., description="核验时限（工作日）")
    total: int
    waiting: int
    decided: int
    overdue: int
    recheck: int
    oldest_waiting: datetime | None = Field(..., description="等待最久的事项进入核验的时间")


class OverviewOut(Schema):
    year: int | None
    departments: list[DepartmentLoadOut]


# --- helpers ---------------------------------------------------------------------------------


def _round(year: int | None) -> Round | None:
    if year is None:
        return current_round()
    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        raise NotFound(f"没有 {year} 年度")
    return rnd


def _item(row: selectors.QueueRow) -> dict[str, Any]:
    item = row.item
    return {
        "id": item.pk,
        "application_id": item.application_id,
        "application_no": item.application.number,
        "kind": item.kind,
        "kind_name": row.kind_name,
        "employer": item.application.employer.name,
        "state": item.state,
        "state_name": item.get_state_display(),
        "matched": item.matched,
        "recheck": item.recheck,
        "opened_at": item.opened_at,
        "due_on": item.due_on,
        "decided_at": item.decided_at,
        "waiting_days": row.waiting_days,
        "overdue": row.overdue,
        "bulk_confirmable": row.bulk_confirmable,
    }


def _decided(request: HttpRequest, decision: Decision) -> dict[str, Any]:
    item = selectors.item_for(request.auth, decision.item_id)
    return {
        "decision_id": decision.pk,
        "action": decision.action,
        "value": decision.value,
        "reason": decision.reason,
        "item": _item(selectors.queue_rows([item])[0]),
    }


# --- endpoints -------------------------------------------------------------------------------


@router.get(
    "/review/queue",
    response={200: QueueOut, **ERRORS},
    summary="本部门的核验事项（部门审核员）",
    description=(
        "本部门负责核验的事项，每页 50 项。筛选：state（核验状态）、kind（本部门的核验事项）、"
        "employer（单位名称的一部分或统一社会信用代码）、matched（比对一致/不一致）、"
        "recheck（是否在复查中）、overdue（只看已超期）、number（申请编号，完整或开头几位）；"
        "order：waiting 等待最久的在前（默认），-waiting 最新进入的在前。"
    ),
)
def review_queue(
    request: HttpRequest,
    year: Year = None,
    state: Annotated[ItemState | None, Query(description="核验状态")] = None,
    kind: Annotated[Kind | None, Query(description="核验事项")] = None,
    employer: Annotated[Text150 | None, Query(description="用人单位")] = None,
    matched: Annotated[bool | None, Query(description="比对结果")] = None,
    recheck: Annotated[bool | None, Query(description="是否在复查中")] = None,
    overdue: Annotated[bool | None, Query(description="只看已超期")] = None,
    number: Annotated[Text20 | None, Query(description="申请编号或其开头")] = None,
    order: Annotated[Literal["waiting", "-waiting"], Query(description="排序")] = "waiting",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> dict[str, Any]:
    user = request.auth
    decisions.require_reviewer(user)
    rnd = _round(year)
    qs = selectors.department_queue(
        user, rnd, state=state, kind=kind, employer=employer, matched=matched, recheck=recheck,
        overdue=overdue, number=number, order=order,
    )
    count = qs.count()
    pages = max(1, -(-count // PAGE_SIZE))
    start = (page - 1) * PAGE_SIZE
    items: list[VerificationItem] = list(qs[start : start + PAGE_SIZE]) if start < count else []
    return {
        "year": rnd.year if rnd else None,
        "counts": selectors.queue_counts(user, rnd),
        "count": count,
        "page": page,
        "pages": pages,
        "items": [_item(row) for row in selectors.queue_rows(items)],
    }


@router.get(
    "/review/items/{item_id}",
    response={200: ItemDetailOut, **ERRORS},
    summary="核验事项详情（部门审核员）",
    description=(
        "申报内容与部门记录并列、差异（仅申报有 / 仅部门记录有）、当前核验结果、核验记录和"
        "证明材料；申请人公民身份号码只显示部分。查看记入审计日志。"
    ),
)
def review_item(request: HttpRequest, item_id: ItemId) -> dict[str, Any]:
    d = selectors.item_detail(request.auth, item_id)
    item = d.item
    latest = item.latest_decision
    return {
        "item": _item(selectors.queue_rows([item])[0]),
        "applicant": {"name": d.applicant_name, "id_number_masked": d.id_number_masked},
        "section": d.section_title,
        "columns": list(COLUMNS[item.kind]),
        "declared": d.declared,
        "declared_lines": d.declared_lines,
        "recorded": d.recorded,
        "recorded_lines": d.recorded_lines,
        "differences": {"only_declared": d.only_declared, "only_recorded": d.only_recorded},
        "verified": latest.value if latest else None,
        "verified_lines": d.verified_lines,
        "history": [
            {
                "decision_id": h.decision.pk,
                "created_at": h.decision.created_at,
                "actor": h.actor,
                "source": h.decision.source,
                "source_name": h.source,
                "action": h.decision.action,
                "action_name": h.action,
                "matched": h.decision.matched,
                "value": h.decision.value,
                "value_lines": h.lines,
                "reason": h.reason,
                "file_name": h.file_name,
            }
            for h in d.history
        ],
        "evidence": [
            {
                "id": ev.pk,
                "name": ev.original_name,
                "size": ev.size,
                "uploaded_at": ev.uploaded_at,
                "download_url": reverse("applications:evidence_download", args=[ev.pk]),
            }
            for ev in d.evidence
        ],
    }


@router.post(
    "/review/items/{item_id}/confirm",
    response={200: DecisionOut, **ERRORS},
    summary="确认（部门审核员）",
    description="以部门记录（尚未比对的：申报内容）为核验结果。复查中的事项返回 409。",
)
def review_confirm(request: HttpRequest, item_id: ItemId,
                   payload: ConfirmIn | None = None) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    decision = decisions.item_confirm(actor=request.auth, item_id=item_id, reason=reason)
    return _decided(request, decision)


@router.post(
    "/review/items/{item_id}/correct",
    response={200: DecisionOut, **ERRORS},
    summary="更正（部门审核员）",
    description=(
        "以 value 为核验结果，须填写理由。各行按部门数据文件的规则校验，错误逐行逐列指出"
        "（field 如 value[2].from）。复查中的事项返回 409。"
    ),
)
def review_correct(request: HttpRequest, item_id: ItemId, payload: CorrectIn) -> dict[str, Any]:
    decision = decisions.item_correct(actor=request.auth, item_id=item_id, value=payload.value,
                                      reason=payload.reason)
    return _decided(request, decision)


@router.post(
    "/review/items/{item_id}/reject",
    response={200: DecisionOut, **ERRORS},
    summary="不予认定（部门审核员）",
    description="视为申请人没有此类记录，须填写理由。复查中的事项返回 409。",
)
def review_reject(request: HttpRequest, item_id: ItemId, payload: RejectIn) -> dict[str, Any]:
    decision = decisions.item_reject(actor=request.auth, item_id=item_id, reason=payload.reason)
    return _decided(request, decision)


@router.post(
    "/review/bulk-confirm",
    response={200: BulkOut, **ERRORS},
    summary="批量确认比对一致的事项（部门审核员）",
    description="只确认本部门比对一致、不在复查中的事项，其余不予确认并计数。",
)
def review_bulk_confirm(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    result = decisions.items_bulk_confirm(actor=request.auth, item_ids=payload.item_ids)
    return {"confirmed": result.confirmed, "skipped": result.skipped,
            "decision_ids": result.decision_ids}


@router.get(
    "/review/overview",
    response={200: OverviewOut, **ERRORS},
    summary="各部门核验进度（市人社局管理员）",
    description="各核验部门的时限、事项数、待核验、已决定、已超期、复查中，以及等待最久的事项。",
)
def review_overview(request: HttpRequest, year: Year = None) -> dict[str, Any]:
    selectors.require_bureau(request.auth)
    rnd = _round(year)
    loads = selectors.bureau_overview(request.auth, rnd)
    return {
        "year": rnd.year if rnd else None,
        "departments": [
            {
                "department": load.department, "name": load.label, "days": load.days,
                "total": load.total, "waiting": load.waiting, "decided": load.decided,
                "overdue": load.overdue, "recheck": load.recheck,
                "oldest_waiting": load.oldest_waiting,
            }
            for load in loads
        ],
    }

