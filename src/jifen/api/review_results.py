"""The first result (初核结果) and the re-check (复查): the applicant's result, the re-check
request and its files; the departments' and the service window's disputes, the on-site check
and the answer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict, StringConstraints

from jifen.applications import services as app_services
from jifen.applications.evidence_checks import limits_text
from jifen.review import recheck, selectors_recheck, selectors_result
from jifen.review.corrections import MAX_ROWS
from jifen.review.kinds import KIND_SECTION, KINDS
from jifen.review.models import Dispute
from jifen.review.recheck import REASON_MAX, STATEMENT_MAX

from . import present
from .evidence import evidence_file_response
from .review_queue import Cell
from .schemas import MAX_ID, MAX_PAGE, STORABLE, ApplicationId, ErrorOut, EvidenceOut, Text20

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BINARY = {"schema": {"type": "string", "format": "binary"}}

DisputeId = Annotated[int, Path(ge=1, le=MAX_ID, description="复查事项编号")]
EvidenceId = Annotated[int, Path(ge=1, le=MAX_ID, description="材料编号")]
Statement = Annotated[str, StringConstraints(max_length=STATEMENT_MAX), STORABLE]
Reason = Annotated[str, StringConstraints(max_length=REASON_MAX), STORABLE]
KindCode = Literal[KINDS]  # type: ignore[valid-type]
# A changed value: as a reviewer's correction gives it (jifen.review.corrections).
AnswerValue = (
    bool | Text20 | Annotated[list[dict[Text20, Cell]], Field(max_length=MAX_ROWS)] | None
)

router = Router(tags=["初核结果与复查"])


# --- bodies ---------------------------------------------------------------------------------


class IndicatorOut(Schema):
    indicator: str
    name: str = Field(..., description="指标名称")
    declared_points: float | None = Field(
        ..., description="自评分值（按申报内容）；申报无法计分时为 null"
    )
    points: float = Field(..., description="核验分值（按核验后的信息）")
    differs: bool = Field(..., description="自评与核验分值不同")
    basis: str = Field(..., description="核验后的计分依据（中文）")
    reference: str = ""


class DisputeBrief(Schema):
    id: int
    kind: str
    kind_name: str
    application_id: int
    application_no: str
    statement: str = Field(..., description="申请人的复查理由")
    recheck: str = Field(..., description="open 待部门答复 / onsite 待现场核验 / answered 已答复")
    recheck_name: str
    requested_at: datetime
    onsite_requested_at: datetime | None = None
    onsite_reason: str = ""
    onsite_at: datetime | None = None
    onsite_consistent: bool | None = Field(None, description="原件与申报内容是否一致")
    onsite_note: str = ""
    outcome: str = Field("", description="upheld 维持 / changed 变更；未答复时为空")
    outcome_name: str = ""
    answer: str = Field("", description="答复理由")
    answered_at: datetime | None = None
    evidence: list[EvidenceOut] = Field([], description="复查时提交的证明材料")


class KindOut(Schema):
    kind: str
    name: str
    department: str
    department_name: str
    state: str = Field(..., description="核验状态")
    state_name: str
    declared: Any = Field(..., description="申报值（jifen.profile/1 中该类记录的片段）")
    verified: Any = Field(..., description="核验认定值（同上格式）")
    declared_lines: list[str]
    verified_lines: list[str]
    differs: bool = Field(..., description="核验认定与申报不同")
    only_declared: list[str] = Field(..., description="申报内容中与核验不同的部分（中文）")
    only_recorded: list[str] = Field(..., description="核验认定中与申报不同的部分（中文）")
    reason: str = Field(..., description="部门理由；数据比对不一致时为“与部门数据比对不一致”")
    source: str
    source_name: str
    decided_at: datetime | None
    recheck: str = Field("", description="复查状态：空 / open / onsite / answered")
    dispute: DisputeBrief | None = None


class RecheckOut(Schema):
    window: str = Field(..., description="复查申请期（中文）")
    open: bool = Field(..., description="现在是否在复查申请期内")
    can_request: bool = Field(..., description="现在能否申请复查（期内且尚未申请）")
    requested_at: datetime | None = None


class ResultOut(Schema):
    application_id: int
    application_no: str
    year: int
    submitted: bool = Field(..., description="用人单位已提交部门核验")
    verifying: bool = Field(..., description="部门核验中，尚无初核结果")
    decided: int = Field(..., description="已核验的事项数")
    total_items: int = Field(..., description="核验事项总数（11）")
    progress: str = Field(
        ...,
        description="部门核验中（已核验 x / 11 项）；单位提交前为“申报尚未由用人单位提交部门核验”",
    )
    total: float | None = Field(None, description="初核总分")
    declared_total: float | None = Field(None, description="自评总分（按申报内容）")
    eligible: bool | None = None
    reasons_zh: list[str] = Field([], description="不符合申请条件的原因（核验后）")
    after_recheck: bool = False
    rule_set: str = ""
    rule_set_version: str = ""
    result: dict[str, Any] | None = Field(None, description="jifen.result/1（核验后）")
    indicators: list[IndicatorOut] = []
    kinds: list[KindOut] = []
    recheck: RecheckOut | None = None


class DisputeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: KindCode = Field(..., description="核验事项，如 housing")
    statement: Statement = Field(..., description="复查理由")


class RecheckIn(Schema):
    model_config = ConfigDict(extra="forbid")

    disputes: list[DisputeIn] = Field(..., max_length=len(KINDS),
                                      description="申请复查的核验事项（每项一次）")


class RecheckRequestOut(Schema):
    id: int
    application_id: int
    created_at: datetime
    disputes: list[DisputeBrief]


class DisputeDetailOut(DisputeBrief):
    declared_lines: list[str]
    verified_lines: list[str]
    declared: Any
    verified: Any
    differs: bool
    only_declared: list[str]
    only_recorded: list[str]
    reason: str = Field(..., description="当前核验决定的理由")


class OnsiteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(..., description="转交现场核验的理由（须核验哪些原件）")


class OnsiteRecordIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Reason = Field(..., description="现场核验意见（原件显示的情况）")
    consistent: bool = Field(..., description="原件与申报内容是否一致")


class DisputeAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "changed"] = Field(..., description="upheld 维持 / changed 变更")
    reason: Reason = Field(..., description="答复理由（申请人可见）")
    value: AnswerValue = Field(None, description=(
        "变更后的核验认定（changed 时必填），格式同核验更正（POST /api/review/items/{item_id}"
        "/correct）：居住证、刑事犯罪记录为 true/false；其他事项为若干行，每行一个对象，列与部门"
        '数据文件相同（不含 id_number），如住所 [{"kind": "owned", "from": "2016-01", '
        '"to": "2021-12", "district": "通州区"}]'
    ))


# --- presenting -------------------------------------------------------------------------------


def _dispute(d: Dispute) -> dict[str, Any]:
    item = d.item
    return {
        "id": d.pk,
        "kind": item.kind,
        "kind_name": item.get_kind_display(),
        "application_id": item.application_id,
        "application_no": item.application.number,
        "statement": d.statement,
        "recheck": item.recheck,
        "recheck_name": item.get_recheck_display() if item.recheck else "",
        "requested_at": d.request.created_at,
        "onsite_requested_at": d.onsite_requested_at,
        "onsite_reason": d.onsite_reason,
        "onsite_at": d.onsite_at,
        "onsite_consistent": d.onsite_consistent,
        "onsite_note": d.onsite_note,
        "outcome": d.outcome,
        "outcome_name": d.get_outcome_display() if d.outcome else "",
        "answer": d.answer,
        "answered_at": d.answered_at,
        "evidence": [present.evidence(ev) for ev in selectors_recheck.dispute_evidence(d)],
    }


def _result(view: selectors_result.ApplicantResult) -> dict[str, Any]:
    app = view.app
    out: dict[str, Any] = {
        "application_id": app.pk,
        "application_no": app.number,
        "year": app.round.year,
        "submitted": view.submitted,
        "verifying": view.verifying,
        "decided": view.decided,
        "total_items": view.total_items,
        "progress": view.progress_text,
    }
    result = view.result
    if result is None:
        return out
    out.update({
        "total": float(result.total),
        "declared_total": view.declared_total,
        "eligible": result.eligible,
        "reasons_zh": list(result.reasons_zh),
        "after_recheck": result.after_recheck,
        "rule_set": result.rule_set,
        "rule_set_version": result.rule_set_version,
        "result": result.result,
        "indicators": [
            {"indicator": r.indicator, "name": r.name, "declared_points": r.declared,
             "points": r.verified, "differs": r.differs, "basis": r.basis,
             "reference": r.reference}
            for r in view.indicators
        ],
        "kinds": [
            {"kind": k.kind, "name": k.name, "department": k.department,
             "department_name": k.department_name, "state": k.state, "state_name": k.state_name,
             "declared": k.declared, "verified": k.verified, "declared_lines": k.declared_lines,
             "verified_lines": k.verified_lines, "differs": k.differs,
             "only_declared": k.only_declared, "only_recorded": k.only_recorded,
             "reason": k.reason, "source": k.source, "source_name": k.source_name,
             "decided_at": k.decided_at, "recheck": k.recheck,
             "dispute": _dispute(k.dispute) if k.dispute is not None else None}
            for k in view.kinds
        ],
    })
    if view.recheck is not None:
        request = view.recheck.request
        out["recheck"] = {
            "window": view.recheck.window, "open": view.recheck.open_now,
            "can_request": view.recheck.can_request,
            "requested_at": request.created_at if request is not None else None,
        }
    return out


def _reload(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    return _dispute(selectors_recheck.dispute_for(request.auth, dispute_id))


# --- the applicant ------------------------------------------------------------------------


@router.get(
    "/applications/{application_id}/result",
    response={200: ResultOut, **ERRORS},
    summary="初核结果（申请人本人）",
    description=(
        "各项指标的自评分值与核验分值、核验后的计分依据；各核验事项的申报值与核验认定值、"
        "不同之处及部门理由；复查申请期和复查答复。尚无初核结果时 verifying 为 true，"
        "progress 为“部门核验中（已核验 x / 11 项）”。仅申请人本人可查看，其他人 404。"
    ),
)
def result_mine(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    return _result(selectors_result.applicant_result(request.auth, application_id))


@router.post(
    "/applications/{application_id}/recheck",
    response={201: RecheckRequestOut, **ERRORS},
    summary="申请复查（申请人本人）",
    description=(
        "在复查申请期内、有初核结果后，选择有异议的核验事项并写明理由；每份申报只能申请一次。"
        "新的证明材料随后逐个上传到各复查事项（POST /api/disputes/{dispute_id}/evidence）。"
        "期外 409 outside_window，再次申请 409 conflict，未核验的事项或理由为空 422（指明字段）。"
    ),
)
def recheck_file(request: HttpRequest, application_id: ApplicationId,
                 payload: RecheckIn) -> Status[Any]:
    made = recheck.recheck_request(
        actor=request.auth, application_id=application_id,
        disputes=[{"kind": d.kind, "statement": d.statement} for d in payload.disputes],
    )
    disputes = [
        selectors_recheck.dispute_for(request.auth, d.pk)
        for d in made.disputes.order_by("id")
    ]
    return Status(201, {"id": made.pk, "application_id": made.application_id,
                        "created_at": made.created_at,
                        "disputes": [_dispute(d) for d in disputes]})


@router.post(
    "/disputes/{dispute_id}/evidence",
    response={201: EvidenceOut, **ERRORS},
    summary="上传复查证明材料（申请人本人）",
    description=(
        f"multipart/form-data：file（{limits_text()}；检查与加密存放同申报材料）。"
        "复查申请期内、该事项答复前可上传。"
    ),
)
def dispute_evidence_upload(
    request: HttpRequest, dispute_id: DisputeId, file: Annotated[UploadedFile, File(...)],
) -> Status[Any]:
    file.name = _CONTROL.sub("", file.name or "")
    ev = recheck.dispute_add_evidence(actor=request.auth, dispute_id=dispute_id, upload=file)
    return Status(201, present.evidence(ev))


@router.get(
    "/recheck-evidence/{evidence_id}",
    response={**ERRORS, 500: ErrorOut},
    summary="下载复查证明材料",
    description="申请人本人及可查看该复查事项的审核员；他人下载时记录个人信息查阅日志。",
    openapi_extra={
        "responses": {
            "200": {
                "description": "材料文件",
                "content": {"application/pdf": _BINARY, "image/png": _BINARY,
                            "image/jpeg": _BINARY},
            }
        }
    },
)
def dispute_evidence_download(request: HttpRequest, evidence_id: EvidenceId) -> FileResponse:
    user = request.auth
    return evidence_file_response(user, selectors_recheck.dispute_evidence_item(user, evidence_id))


# --- the departments and the service window -----------------------------------------------


@router.get(
    "/disputes",
    response={200: list[DisputeBrief], **ERRORS},
    summary="复查事项列表（部门审核员、区服务窗口）",
    description="核验部门：本部门核验事项的复查申请；区服务窗口：转交本窗口现场核验的事项。按申请时间排列。",
)
def disputes_list(
    request: HttpRequest,
    state: Annotated[
        Literal["pending", "open", "onsite", "answered", "all"],
        Query(description="pending 待办（默认）/ open 待部门答复 / onsite 待现场核验 / "
                          "answered 已答复 / all 全部"),
    ] = "pending",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    qs = selectors_recheck.disputes_for(request.auth, state)
    return [_dispute(d) for d in qs[offset: offset + limit]]


@router.get(
    "/disputes/{dispute_id}",
    response={200: DisputeDetailOut, **ERRORS},
    summary="复查事项详情",
    description="复查理由、复查材料、申报值与当前核验认定值及不同之处；核验部门、区服务窗口"
                "（已转交时）和申请人本人可查看，工作人员查看记入个人信息查阅日志。",
)
def dispute_detail(request: HttpRequest, dispute_id: DisputeId) -> dict[str, Any]:
    user = request.auth
    dispute = selectors_recheck.dispute_for(user, dispute_id)
    detail = selectors_recheck.detail_of(user, dispute)
    app_services.record_declaration_view(
        actor=user, app=dispute.item.application,
        sections=[KIND_SECTION[detail.kind]],
    )
    return {
        **_dispute(dispute),
        "declared_lines": detail.declared_lines, "verified_lines": detail.verified_lines,
        "declared": detail.declared, "verified": detail.verified, "differs": detail.differs,
        "only_declared": detail.only_declared, "only_recorded": detail.only_recorded,
        "reason": detail.reason,
    }


@router.post(
    "/disputes/{dispute_id}/onsite",
    response={200: DisputeBrief, **ERRORS},
    summary="转交现场核验（核验部门）",
    description="须查看纸质原件时，转交区服务窗口；理由必填。",
)
def dispute_onsite(request: HttpRequest, dispute_id: DisputeId, payload: OnsiteIn) -> Any:
    recheck.dispute_send_onsite(actor=request.auth, dispute_id=dispute_id,
                                reason=payload.reason)
    return _reload(request, dispute_id)


@router.post(
    "/disputes/{dispute_id}/onsite-record",
    response={200: DisputeBrief, **ERRORS},
    summary="记录现场核验结果（区服务窗口）",
    description="原件是否与申报一致及核验意见；记录后退回核验部门答复。",
)
def dispute_onsite_record(request: HttpRequest, dispute_id: DisputeId,
                          payload: OnsiteRecordIn) -> Any:
    recheck.dispute_onsite_record(actor=request.auth, dispute_id=dispute_id,
                                  note=payload.note, consistent=payload.consistent)
    return _reload(request, dispute_id)


@router.post(
    "/disputes/{dispute_id}/answer",
    response={200: DisputeBrief, **ERRORS},
    summary="答复复查（核验部门）",
    description=(
        "upheld：维持原核验结果（核验记录“复查维持”）；changed：以 value 为新的核验值"
        "（核验记录“更正”，来源为复查或现场核验）。答复后重新计算初核结果，并以站内消息通知申请人。"
    ),
)
def dispute_answer(request: HttpRequest, dispute_id: DisputeId, payload: DisputeAnswerIn) -> Any:
    recheck.dispute_answer(actor=request.auth, dispute_id=dispute_id, outcome=payload.outcome,
                           reason=payload.reason, value=payload.value)
    return _reload(request, dispute_id)
