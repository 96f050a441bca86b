"""Signals of duplicates and fraud (异常信号) for the reviewers and the bureau: list, one
signal with its evidence, and its handling (dismiss / confirm, each with a reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from jifen.review import signal_actions, signal_selectors
from jifen.review.models import Signal, SignalKind, SignalState
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round

from .schemas import MAX_ID, MAX_PAGE, STORABLE, ErrorOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}

router = Router(tags=["异常信号"])

SignalId = Annotated[int, Path(ge=1, le=MAX_ID, description="异常信号编号")]
Reason = Annotated[
    str, StringConstraints(max_length=signal_actions.REASON_MAX), STORABLE
]


class SignalReasonIn(Schema):
    reason: Reason = Field(..., description="排除或确认的理由（必填）")


class EvidenceLine(Schema):
    label: str
    text: str


class SignalOut(Schema):
    id: int
    year: int
    kind: SignalKind
    kind_name: str
    summary: str
    state: SignalState
    state_name: str
    employer: str | None
    applications: list[str] = Field(..., description="涉及的申请编号")
    active: bool = Field(..., description="最近一次检测是否仍发现该信号")
    created_at: datetime
    detected_at: datetime | None


class SignalDetailOut(SignalOut):
    departments: list[str] = Field(..., description="相关核验部门")
    evidence: dict[str, Any] = Field(
        ..., description="检测发现的情况（不含身份号码、手机号码明文）"
    )
    evidence_lines: list[EvidenceLine]
    note: str = Field(..., description="处理理由")
    handled_by: str | None
    handled_at: datetime | None


def _out(signal: Signal, numbers: list[str]) -> dict[str, Any]:
    return {
        "id": signal.pk,
        "year": signal.round.year,
        "kind": signal.kind,
        "kind_name": signal.get_kind_display(),
        "summary": signal.summary,
        "state": signal.state,
        "state_name": signal.get_state_display(),
        "employer": signal.employer.name if signal.employer_id else None,
        "applications": numbers,
        "active": signal.active,
        "created_at": signal.created_at,
        "detected_at": signal.detected_at,
    }


def _detail(signal: Signal) -> dict[str, Any]:
    numbers = [a.number for a in signal_selectors.signal_applications(signal)]
    return {
        **_out(signal, numbers),
        "departments": signal.department_list,
        "evidence": signal.evidence,
        "evidence_lines": [
            {"label": label, "text": text}
            for label, text in signal_selectors.evidence_lines(signal)
        ],
        "note": signal.note,
        "handled_by": signal.handled_by.username if signal.handled_by_id else None,
        "handled_at": signal.handled_at,
    }


@router.get(
    "/review/signals",
    response={200: list[SignalOut], **ERRORS},
    summary="异常信号列表（审核员、市人社局）",
    description=(
        "审核员看到与本部门相关、涉及本部门核验事项的信号；市人社局管理员看到全部。"
        "默认为当前年度、全部状态，最新发现的在前。"
    ),
)
def signal_list(
    request: HttpRequest,
    year: Annotated[int | None, Query(ge=1900, le=9999, description="年度")] = None,
    kind: Annotated[SignalKind | None, Query(description="类别")] = None,
    state: Annotated[SignalState | None, Query(description="状态")] = None,
    number: Annotated[str | None, Query(max_length=20, description="申请编号")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    rnd = Round.objects.filter(year=year).first() if year is not None else current_round()
    queryset = signal_selectors.signals_for(
        request.auth, rnd=rnd, kind=kind, state=state, number=number
    )
    if rnd is None:
        queryset = queryset.none()
    signals = list(queryset[offset : offset + limit])
    members = signal_selectors.members_by_signal(signals)
    return [_out(s, [n for _, n in members.get(s.pk, [])]) for s in signals]


@router.get(
    "/review/signals/{signal_id}",
    response={200: SignalDetailOut, **ERRORS},
    summary="异常信号详情",
)
def signal_detail(request: HttpRequest, signal_id: SignalId) -> dict[str, Any]:
    return _detail(signal_selectors.signal_for(request.auth, signal_id))


@router.post(
    "/review/signals/{signal_id}/dismiss",
    response={200: SignalDetailOut, **ERRORS},
    summary="排除异常信号",
    description="须填写理由；只能处理待处理的信号（否则 409）。不改变核验结果和积分。",
)
def signal_dismiss(
    request: HttpRequest, payload: SignalReasonIn, signal_id: SignalId
) -> dict[str, Any]:
    signal_actions.signal_dismiss(actor=request.auth, signal_id=signal_id, reason=payload.reason)
    return _detail(signal_selectors.signal_for(request.auth, signal_id))


@router.post(
    "/review/signals/{signal_id}/confirm",
    response={200: SignalDetailOut, **ERRORS},
    summary="确认异常信号",
    description="须填写理由；只能处理待处理的信号（否则 409）。不改变核验结果和积分。",
)
def signal_confirm(
    request: HttpRequest, payload: SignalReasonIn, signal_id: SignalId
) -> dict[str, Any]:
    signal_actions.signal_confirm(actor=request.auth, signal_id=signal_id, reason=payload.reason)
    return _detail(signal_selectors.signal_for(request.auth, signal_id))
