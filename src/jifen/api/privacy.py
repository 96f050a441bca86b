"""Personal data (PIPL): the applicant downloads everything the system holds about them and
asks for corrections; the bureau's administrators answer them. Only one's own data: the
archive and the list are built from the caller's account, never from an id in the request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Path, Query, Router, Schema, Status

from jifen.privacy import archive, corrections
from jifen.privacy.models import CorrectionRequest

from .schemas import MAX_ID, ErrorOut, Text

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CorrectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="更正申请编号")]

router = Router(tags=["个人信息"])


class CorrectionRequestIn(Schema):
    field: Text = Field(
        ...,
        description="更正项目：name 姓名 / phone 手机号码 / email 电子邮箱 / "
        "id_number 公民身份号码 / birth_date 出生日期 / sex 性别 / declaration 申报信息 / "
        "other 其他",
    )
    wrong: Text = Field(..., description="现有信息错在何处（最多 500 字）")
    correct: Text = Field(..., description="应更正为（最多 200 字）")


class CorrectionAnswerIn(Schema):
    decision: Literal["accept", "refuse"] = Field(
        ..., description="accept 同意更正 / refuse 不予更正"
    )
    answer: Text = Field("", description="处理意见；不予更正时必填（最多 500 字）")


class CorrectionRequestOut(Schema):
    id: int
    field: str
    field_display: str
    wrong: str
    correct: str
    state: str = Field(..., description="waiting 待处理 / accepted 已更正 / refused 不予更正")
    state_display: str
    answer: str
    created_at: datetime
    answered_at: datetime | None


class CorrectionQueueItemOut(CorrectionRequestOut):
    applicant_name: str
    applicant_id_masked: str


def _out(req: CorrectionRequest) -> dict[str, Any]:
    return {
        "id": req.pk,
        "field": req.field,
        "field_display": req.get_field_display(),
        "wrong": req.wrong,
        "correct": req.correct,
        "state": req.state,
        "state_display": req.get_state_display(),
        "answer": req.answer,
        "created_at": req.created_at,
        "answered_at": req.answered_at,
    }


@router.get(
    "/me/personal-data",
    response={**ERRORS},
    summary="下载本人个人信息（ZIP）",
    description=(
        "申请人本人的全部个人信息：personal-data.json（格式 jifen.personal-data/1）与解密后的"
        "证明材料（evidence/）。仅限申请人本人，下载记入审计日志（personal_data.export）。"
    ),
    openapi_extra={
        "responses": {
            "200": {
                "description": "ZIP 压缩包",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def personal_data(request: HttpRequest) -> HttpResponse:
    made = archive.build_archive(actor=request.auth)
    response = HttpResponse(made.content, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, made.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/me/corrections",
    response={200: list[CorrectionRequestOut], **ERRORS},
    summary="本人的个人信息更正申请",
)
def my_corrections(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(r) for r in corrections.corrections_of(request.auth)]


@router.post(
    "/me/corrections",
    response={201: CorrectionRequestOut, **ERRORS},
    summary="申请更正个人信息",
    description="有误时返回 422，errors 逐项指出字段；同一项目已有待处理的申请时返回 409。",
)
def correction_new(request: HttpRequest, payload: CorrectionRequestIn) -> Status[Any]:
    req = corrections.correction_request(
        actor=request.auth, field=payload.field, wrong=payload.wrong, correct=payload.correct
    )
    return Status(201, _out(req))


@router.get(
    "/privacy/corrections",
    response={200: list[CorrectionQueueItemOut], **ERRORS},
    summary="个人信息更正申请队列（市人社局管理员）",
)
def correction_queue(
    request: HttpRequest,
    state: Annotated[
        Literal["waiting", "accepted", "refused", ""], Query(description="按处理状态筛选")
    ] = "",
) -> list[dict[str, Any]]:
    return [
        {
            **_out(r),
            "applicant_name": r.applicant.name,
            "applicant_id_masked": r.applicant.id_number_masked,
        }
        for r in corrections.queue(request.auth, state=state)[:500]
    ]


@router.post(
    "/privacy/corrections/{request_id}/answer",
    response={200: CorrectionRequestOut, **ERRORS},
    summary="答复个人信息更正申请（市人社局管理员）",
    description="同意时姓名、手机号码、电子邮箱由系统直接更正；不予更正须说明理由（422 answer）。",
)
def correction_answer(
    request: HttpRequest, request_id: CorrectionId, payload: CorrectionAnswerIn
) -> dict[str, Any]:
    req = corrections.correction_answer(
        actor=request.auth,
        request_id=request_id,
        accept=payload.decision == "accept",
        answer=payload.answer,
    )
    return _out(req)
