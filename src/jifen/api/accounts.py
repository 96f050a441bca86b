"""Registration of applicants and employers, the caller's own account, the current round."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from jifen.accounts import services
from jifen.core.errors import NotFound
from jifen.rounds.selectors import current_round

from . import present
from .schemas import (
    ApplicantRegisterIn,
    EmployerRegisterIn,
    ErrorOut,
    MeOut,
    RegisteredOut,
    RoundOut,
)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

router = Router(tags=["账户"])


@router.post(
    "/register/applicant",
    auth=None,
    response={201: RegisteredOut, **ERRORS},
    summary="申请人注册",
    description="注册申请人账户。各项有误时返回 422，errors 逐项指出字段。",
)
def register_applicant(request: HttpRequest, payload: ApplicantRegisterIn) -> Status[Any]:
    user = services.register_applicant(
        username=payload.username, password=payload.password, id_number=payload.id_number,
        name=payload.name, phone=payload.phone,
    )
    return Status(201, {"id": user.pk, "username": user.username, "role": user.role})


@router.post(
    "/register/employer",
    auth=None,
    response={201: RegisteredOut, **ERRORS},
    summary="用人单位注册",
    description="注册用人单位及其第一位经办人，返回单位注册码（申请人关联单位时使用）。",
)
def register_employer(request: HttpRequest, payload: EmployerRegisterIn) -> Status[Any]:
    user = services.register_employer(
        employer_name=payload.employer_name, credit_code=payload.credit_code,
        district=payload.district, username=payload.username, password=payload.password,
        agent_name=payload.agent_name, phone=payload.phone,
    )
    return Status(
        201,
        {"id": user.pk, "username": user.username, "role": user.role,
         "employer_code": user.employer.code},
    )


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    return present.me(request.auth)


@router.get(
    "/rounds/current",
    auth=None,
    response={200: RoundOut, **ERRORS},
    summary="当前积分落户年度",
    description="正在申报期内的年度；没有时为最近的年度；尚无年度时返回 404。",
)
def round_current(request: HttpRequest) -> dict[str, Any]:
    rnd = current_round()
    if rnd is None:
        raise NotFound("目前没有积分落户年度")
    return present.round_(rnd)
