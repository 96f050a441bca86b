"""Employment links: the applicant asks to be linked to an employer; the employer decides."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from jifen.applications import selectors, services
from jifen.applications.models import LinkStatus

from . import present
from .schemas import MAX_PAGE, ErrorOut, LinkId, LinkOut, LinkRequestIn, ReasonIn

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}

router = Router(tags=["单位关联"])


@router.get("/links", response={200: list[LinkOut], **ERRORS}, summary="我的单位关联（申请人）")
def links_mine(request: HttpRequest) -> list[dict[str, Any]]:
    return [present.link(k) for k in selectors.links_of_applicant(request.auth)]


@router.post(
    "/links",
    response={201: LinkOut, **ERRORS},
    summary="申请关联用人单位（申请人）",
    description="填写单位注册码申请关联；已有待确认或已确认的关联时返回 409。",
)
def link_request(request: HttpRequest, payload: LinkRequestIn) -> Status[Any]:
    link = services.link_request(actor=request.auth, employer_code=payload.employer_code)
    return Status(201, present.link(link))


@router.post(
    "/links/{link_id}/cancel",
    response={200: LinkOut, **ERRORS},
    summary="撤销单位关联（申请人）",
)
def link_cancel(request: HttpRequest, link_id: LinkId) -> dict[str, Any]:
    return present.link(services.link_cancel(actor=request.auth, link_id=link_id))


@router.get(
    "/employer/links",
    response={200: list[LinkOut], **ERRORS},
    summary="本单位的关联申请（单位经办人）",
)
def employer_links(
    request: HttpRequest,
    status: Annotated[LinkStatus | None, Query(description="按状态筛选")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    qs = selectors.links_for_employer(request.auth, status=status)
    return [present.link(k) for k in qs[offset : offset + limit]]


@router.post(
    "/employer/links/{link_id}/confirm",
    response={200: LinkOut, **ERRORS},
    summary="确认关联申请（单位经办人）",
)
def employer_link_confirm(request: HttpRequest, link_id: LinkId) -> dict[str, Any]:
    return present.link(services.link_confirm(actor=request.auth, link_id=link_id))


@router.post(
    "/employer/links/{link_id}/refuse",
    response={200: LinkOut, **ERRORS},
    summary="拒绝关联申请（单位经办人）",
    description="须填写拒绝理由（reason）。",
)
def employer_link_refuse(
    request: HttpRequest, payload: ReasonIn, link_id: LinkId
) -> dict[str, Any]:
    link = services.link_refuse(actor=request.auth, link_id=link_id, reason=payload.reason)
    return present.link(link)
