"""Publication (公示), objections (异议) and settlement (落户): the bureau's side, the applicant's
final result, and the public list (no login)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from pydantic import StringConstraints

from jifen.publication import selectors, services
from jifen.publication.models import Objection, ObjectionState, Publication, SettlementState
from jifen.review.corrections import MAX_ROWS
from jifen.review.kinds import KINDS
from jifen.rounds import phases

from .review_queue import Cell
from .schemas import MAX_ID, MAX_PAGE, STORABLE, ApplicationId, ErrorOut, Text20

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}

Year = Annotated[int, Path(ge=2000, le=2999, description="年度")]
ObjectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="异议编号")]
KindCode = Literal[KINDS]  # type: ignore[valid-type]
CorrectionValue = bool | Text20 | Annotated[list[dict[Text20, Cell]], Field(max_length=MAX_ROWS)]

router = Router(tags=["公示、异议与落户"])


# --- bodies ----------------------------------------------------------------------------------


class WindowOut(Schema):
    opens: datetime | None
    closes: datetime | None
    state: str = Field(
        ..., description="open 进行中 / upcoming 未开始 / closed 已结束 / unscheduled 未安排"
    )


class FileOut(Schema):
    kind: str = Field(..., description="csv / xlsx / pdf")
    size: int
    seconds: float = Field(..., description="生成用时（秒）")
    url: str


class CountsOut(Schema):
    admitted: int = Field(..., description="拟落户人数（公示名单）")
    settled: int = Field(..., description="已办理落户")
    given_up: int = Field(..., description="放弃落户（名额不递补）")
    pending: int = Field(..., description="待办理")


class PublicationOut(Schema):
    year: int
    published: bool
    version: int | None = None
    rows: int | None = None
    line: float | None = None
    published_at: datetime | None = None
    window: WindowOut
    settlement_window: WindowOut
    files: list[FileOut]
    objections: dict[str, int] = Field(
        ..., description="各状态异议数：received / checking / answered"
    )
    rerun_needed: bool = Field(..., description="有异议已更正核验结果，需要重新评定")
    settlement: CountsOut


class EntryOut(Schema):
    rank: int
    name: str
    id_masked: str = Field(..., description="公民身份号码（遮蔽）")
    birth_month: str
    employer: str
    scores: dict[str, float] = Field(..., description="十项指标分值（指标代码 → 分值）")
    total: float


class PublicListOut(Schema):
    year: int
    title: str
    count: int
    page: int
    num_pages: int
    items: list[EntryOut]


class ObjectionBrief(Schema):
    id: int
    receipt_no: str
    rank: int
    application_id: int | None
    application_no: str
    listed_name: str
    state: str = Field(..., description="received 已受理 / checking 核查中 / answered 已答复")
    state_name: str
    rerun_needed: bool
    created_at: datetime


class ObjectionOut(ObjectionBrief):
    filer_name: str
    filer_phone: str
    reason: str
    note: str
    answer: str
    answered_at: datetime | None
    decision_id: int | None = Field(None, description="因异议所作的核验更正（核验台账决定编号）")


class ObjectionPageOut(Schema):
    count: int
    items: list[ObjectionBrief]


class NoteIn(Schema):
    note: Annotated[str, StringConstraints(max_length=services.NOTE_MAX), STORABLE] = ""


class AnswerIn(Schema):
    answer: Annotated[str, StringConstraints(max_length=services.ANSWER_MAX), STORABLE]


class CorrectionIn(Schema):
    kind: KindCode
    value: CorrectionValue = Field(..., description="更正后的核验值，与部门审核员更正时相同")
    reason: Annotated[str, StringConstraints(max_length=services.NOTE_MAX), STORABLE]


class SettlementIn(Schema):
    state: Literal["settled", "given_up"]
    settled_on: date | None = Field(None, description="落户日期（已办理落户时必填）")
    reason: Annotated[str, StringConstraints(max_length=services.SETTLE_REASON_MAX), STORABLE] = (
        Field("", description="放弃理由（放弃落户时必填）")
    )


class SettlementRow(Schema):
    application_id: int | None
    application_no: str
    rank: int
    name: str
    total: float
    state: str = Field(..., description="pending 待办理 / settled 已办理落户 / given_up 放弃落户")
    settled_on: date | None = None
    reason: str = ""


class SettlementPageOut(Schema):
    counts: CountsOut
    count: int
    items: list[SettlementRow]


class SettlementOut(Schema):
    application_id: int
    state: str
    settled_on: date | None
    reason: str
    counts: CountsOut


class NextStepsOut(Schema):
    intro: str
    steps: list[str]
    note: str


class FinalResultOut(Schema):
    year: int
    application_id: int
    application_no: str
    rank: int | None
    total: float | None
    admitted: bool
    settlement: str = Field(..., description="pending / settled / given_up")
    settled_on: date | None = None
    settlement_window: str
    next_steps: NextStepsOut | None = Field(None, description="拟落户人员的落户办理须知")


# --- helpers ---------------------------------------------------------------------------------


def _window(rnd: Any, phase: str) -> dict[str, Any]:
    s = phases.state_of(rnd, phase)
    return {"opens": s.opens, "closes": s.closes, "state": s.state}


def _publication(year: int) -> dict[str, Any]:
    rnd = selectors.round_of(year)
    pub = Publication.objects.filter(round=rnd).first()
    files = list(pub.files.values("kind", "size", "seconds")) if pub else []
    counts = selectors.settlement_counts(rnd)
    return {
        "year": year,
        "published": pub is not None,
        "version": pub.version if pub else None,
        "rows": pub.rows if pub else None,
        "line": float(pub.line) if pub and pub.line is not None else None,
        "published_at": pub.published_at if pub else None,
        "window": _window(rnd, phases.Phase.PUBLICATION),
        "settlement_window": _window(rnd, phases.Phase.SETTLEMENT),
        "files": [{**f, "url": f"/gongshi/{year}/download/{f['kind']}/"} for f in files],
        "objections": selectors.objection_counts(rnd),
        "rerun_needed": Objection.objects.filter(round=rnd, rerun_needed=True).exists(),
        "settlement": counts.__dict__,
    }


def _brief(o: Objection) -> dict[str, Any]:
    return {
        "id": o.pk,
        "receipt_no": o.receipt_no,
        "rank": o.rank,
        "application_id": o.application_id,
        "application_no": o.application_no,
        "listed_name": o.listed_name,
        "state": o.state,
        "state_name": o.get_state_display(),
        "rerun_needed": o.rerun_needed,
        "created_at": o.created_at,
    }


def _full(o: Objection) -> dict[str, Any]:
    return {
        **_brief(o),
        "filer_name": o.filer_name,
        "filer_phone": o.filer_phone,
        "reason": o.reason,
        "note": o.note,
        "answer": o.answer,
        "answered_at": o.answered_at,
        "decision_id": o.decision_id,
    }


# --- the bureau ------------------------------------------------------------------------------


@router.get(
    "/rounds/{year}/publication",
    response={200: PublicationOut, **ERRORS},
    summary="公示情况",
    description="市人社局管理员：公示名单、下载文件、异议和落户办理统计。",
)
def publication_status(request: HttpRequest, year: Year) -> dict[str, Any]:
    services.require_bureau(request.auth)
    return _publication(year)


@router.post(
    "/rounds/{year}/publication",
    response={200: PublicationOut, **ERRORS},
    summary="公示（或重新公示）拟落户名单",
    description="按本年度当前积分评定批次的结果公示；重新公示时整体替换名单和下载文件。"
    "仅在公示期内（409 outside_window）。",
)
def publication_publish(request: HttpRequest, year: Year) -> dict[str, Any]:
    services.publish(actor=request.auth, round=selectors.round_of(year))
    return _publication(year)


@router.get(
    "/rounds/{year}/objections", response={200: ObjectionPageOut, **ERRORS}, summary="公示异议列表"
)
def objection_list(
    request: HttpRequest,
    year: Year,
    state: Annotated[Literal["", "received", "checking", "answered"], Query()] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
) -> dict[str, Any]:
    rows = selectors.objections(actor=request.auth, year=year, state=state)
    return {"count": rows.count(), "items": [_brief(o) for o in rows[offset : offset + limit]]}


@router.get(
    "/objections/{objection_id}",
    response={200: ObjectionOut, **ERRORS},
    summary="公示异议详情",
    description="含异议人姓名和联系电话（查阅记入审计日志）。",
)
def objection_get(request: HttpRequest, objection_id: ObjectionId) -> dict[str, Any]:
    return _full(selectors.objection_detail(actor=request.auth, objection_id=objection_id))


@router.post(
    "/objections/{objection_id}/check",
    response={200: ObjectionOut, **ERRORS},
    summary="异议转为核查中",
)
def objection_check(
    request: HttpRequest, objection_id: ObjectionId, payload: NoteIn
) -> dict[str, Any]:
    return _full(
        services.objection_start_check(
            actor=request.auth, objection_id=objection_id, note=payload.note
        )
    )


@router.post(
    "/objections/{objection_id}/answer", response={200: ObjectionOut, **ERRORS}, summary="答复异议"
)
def objection_answer(
    request: HttpRequest, objection_id: ObjectionId, payload: AnswerIn
) -> dict[str, Any]:
    return _full(
        services.objection_answer(
            actor=request.auth, objection_id=objection_id, answer=payload.answer
        )
    )


@router.post(
    "/objections/{objection_id}/correction",
    response={200: ObjectionOut, **ERRORS},
    summary="因异议更正核验结果",
    description="在核验台账中更正被异议申请人的一项核验结果（取代原决定），生成新的初核"
    "结果，并标记需要重新进行积分评定。",
)
def objection_correction(
    request: HttpRequest, objection_id: ObjectionId, payload: CorrectionIn
) -> dict[str, Any]:
    return _full(
        services.objection_correct(
            actor=request.auth,
            objection_id=objection_id,
            kind=payload.kind,
            value=payload.value,
            reason=payload.reason,
        )
    )


def _settlement_row(e: Any) -> dict[str, Any]:
    s = getattr(e.application, "settlement", None) if e.application_id else None
    return {
        "application_id": e.application_id,
        "application_no": e.application_no,
        "rank": e.rank,
        "name": e.name,
        "total": float(e.total),
        "state": s.state if s else "pending",
        "settled_on": s.settled_on if s else None,
        "reason": s.reason if s else "",
    }


@router.get(
    "/rounds/{year}/settlement", response={200: SettlementPageOut, **ERRORS}, summary="落户办理情况"
)
def settlement_list(
    request: HttpRequest,
    year: Year,
    state: Annotated[Literal["", "pending", "settled", "given_up"], Query()] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
) -> dict[str, Any]:
    rows = selectors.settlement_rows(actor=request.auth, year=year, state=state)
    return {
        "counts": selectors.settlement_counts(selectors.round_of(year)).__dict__,
        "count": rows.count(),
        "items": [_settlement_row(e) for e in rows[offset : offset + limit]],
    }


@router.put(
    "/rounds/{year}/settlement/{application_id}",
    response={200: SettlementOut, **ERRORS},
    summary="记录落户办理结果",
    description="已办理落户（填日期）或放弃落户（填理由）；仅在落户办理期内。放弃的名额不递补。",
)
def settlement_put(
    request: HttpRequest, year: Year, application_id: ApplicationId, payload: SettlementIn
) -> dict[str, Any]:
    row = services.settlement_record(
        actor=request.auth,
        year=year,
        application_id=application_id,
        state=payload.state,
        settled_on=payload.settled_on,
        reason=payload.reason,
    )
    return {
        "application_id": application_id,
        "state": row.state,
        "settled_on": row.settled_on,
        "reason": row.reason,
        "counts": selectors.settlement_counts(selectors.round_of(year)).__dict__,
    }


# --- the applicant -----------------------------------------------------------------------------


@router.get(
    "/applications/{application_id}/final-result",
    response={200: FinalResultOut, **ERRORS},
    summary="最终积分、排名与落户办理须知",
    description="本人申报在公示后的最终积分、排名、是否拟落户，拟落户的附落户办理须知。",
)
def final_result(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    r = selectors.final_result_of(actor=request.auth, application_id=application_id)
    show_steps = r.admitted and r.listed and r.settlement is None
    return {
        "year": r.year,
        "application_id": r.application_id,
        "application_no": r.application_no,
        "rank": r.rank,
        "total": float(r.total) if r.total is not None else None,
        "admitted": r.admitted,
        "settlement": r.settlement.state if r.settlement else "pending",
        "settled_on": r.settlement.settled_on if r.settlement else None,
        "settlement_window": r.settlement_window,
        "next_steps": selectors.next_steps() if show_steps else None,
    }


# --- the public list ---------------------------------------------------------------------------


@router.get(
    "/gongshi/{year}",
    auth=None,
    response={200: PublicListOut, **ERRORS},
    summary="公示名单（公开）",
    description="公示期内的拟落户名单，可按姓名或单位名称片段、排名查询，"
    "分页（每页 50 人）。公示期外 404。",
)
def public_list(
    request: HttpRequest,
    response: HttpResponse,
    year: Year,
    q: Annotated[str, Query(max_length=40)] = "",
    rank: Annotated[int | None, Query(ge=1, le=10**7)] = None,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> dict[str, Any]:
    from jifen.core.errors import NotFound
    from jifen.publication.exports import title
    from jifen.publication.page_cache import allow_proxy_cache, public_state
    from jifen.rules import INDICATORS

    state = public_state(year)  # from the cache: the list's busiest hours
    if not state.open:
        raise NotFound("公示期已结束" if state.state == "closed" else "尚未公示")
    # The same answer for everyone: the reverse proxy may keep it a few seconds.
    allow_proxy_cache(response, state)
    data = selectors.public_list(state.publication, year=year, query=q, rank=rank, page=page)
    return {
        "year": year,
        "title": title(year),
        "count": data["count"],
        "page": data["page"],
        "num_pages": data["num_pages"],
        "items": [
            {
                **{k: r[k] for k in ("rank", "name", "id_masked", "birth_month", "employer")},
                "scores": {c: float(s) for c, s in zip(INDICATORS, r["scores"], strict=True)},
                "total": float(r["total"]),
            }
            for r in data["rows"]
        ],
    }


__all__ = ["ObjectionState", "SettlementState", "router"]
