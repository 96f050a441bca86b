"""The bureau's round set-up (年度设置): create a round, change its parameters with a reason,
read a round and its change history. Writes for bureau administrators only (the services
refuse anyone else); a round's phases are public as /rounds/current's are."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import ConfigDict

from jifen.core.errors import NotPermitted
from jifen.core.roles import Role
from jifen.rounds import selectors, services
from jifen.rounds.models import RoundChange

from . import present
from .schemas import ErrorOut, RoundOut, Text40, Text500

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

router = Router(tags=["年度设置"])

Year = Annotated[int, Path(ge=2000, le=2100, description="申报年度")]
Days = dict[Text40, Annotated[int, Field(ge=1, le=services.VERIFICATION_DAYS_MAX)]]


class _Windows(Schema):
    """Each phase's window (Beijing time unless an offset is given)."""

    model_config = ConfigDict(extra="forbid")

    registration_opens: datetime | None = None
    registration_closes: datetime | None = None
    employer_review_opens: datetime | None = None
    employer_review_closes: datetime | None = None
    verification_opens: datetime | None = None
    verification_closes: datetime | None = None
    recheck_opens: datetime | None = None
    recheck_closes: datetime | None = None
    scoring_opens: datetime | None = None
    scoring_closes: datetime | None = None
    publication_opens: datetime | None = None
    publication_closes: datetime | None = None
    settlement_opens: datetime | None = None
    settlement_closes: datetime | None = None


class RoundCreateIn(_Windows):
    year: int = Field(..., ge=2000, le=2100, description="申报年度")
    rule_set: Text40 | None = Field(None, description="积分规则，默认为该年度适用的规则")
    quota: int | None = Field(None, description="落户指标数，默认为积分规则的 ranking.quota")
    declaration_opens: datetime
    declaration_closes: datetime
    verification_days: Days | None = Field(
        None, description="各部门核验时限（工作日），{部门: 天数}；未列出的部门按默认"
    )


class RoundUpdateIn(_Windows):
    reason: Text500 = Field(..., description="变更理由（必填）")
    rule_set: Text40 | None = None
    quota: int | None = None
    declaration_opens: datetime | None = None
    declaration_closes: datetime | None = None
    verification_days: Days | None = None


class RoundChangeOut(Schema):
    id: int
    field: str = Field(..., description="参数")
    label: str = Field(..., description="参数名称")
    old: Any = Field(None, description="原值")
    new: Any = Field(None, description="新值")
    reason: str
    actor: str | None = Field(None, description="变更人（系统变更时为空）")
    at: datetime


class RoundUpdateOut(Schema):
    round: RoundOut
    changes: list[RoundChangeOut]
    warnings: list[str] = Field(..., description="提示，如变更积分规则后须重新进行积分评定")


def _change(c: RoundChange) -> dict[str, Any]:
    return {
        "id": c.pk,
        "field": c.field,
        "label": services.PARAMETER_LABELS.get(c.field, c.field),
        "old": c.old,
        "new": c.new,
        "reason": c.reason,
        "actor": c.actor.username if c.actor_id else None,
        "at": c.at,
    }


def _bureau(request: HttpRequest) -> None:
    if getattr(request.auth, "role", None) != Role.BUREAU_ADMIN:
        raise NotPermitted("只有市人社局管理员可以查看年度设置的变更记录")


@router.post(
    "/rounds",
    response={201: RoundOut, **ERRORS},
    summary="新建积分落户年度（市人社局管理员）",
    description=(
        "未给出的阶段时间按默认安排（相对申报时间）。各项有误时返回 422，errors 逐项指出字段。"
    ),
)
def round_create(request: HttpRequest, payload: RoundCreateIn) -> Status[Any]:
    data = payload.model_dump()
    rnd = services.round_create(
        actor=request.auth,
        year=data.pop("year"),
        rule_set=data.pop("rule_set"),
        quota=data.pop("quota"),
        opens=data.pop("declaration_opens"),
        closes=data.pop("declaration_closes"),
        verification_days=data.pop("verification_days"),
        windows={k: v for k, v in data.items() if v is not None},
    )
    return Status(201, present.round_(rnd))


@router.get(
    "/rounds/{year}",
    auth=None,
    response={200: RoundOut, **ERRORS},
    summary="某一积分落户年度及其各阶段",
)
def round_detail(request: HttpRequest, year: Year) -> dict[str, Any]:
    return present.round_(selectors.round_by_year(year))


@router.patch(
    "/rounds/{year}",
    response={200: RoundUpdateOut, **ERRORS},
    summary="变更年度参数（市人社局管理员）",
    description=(
        "只写要变更的参数和变更理由（reason，必填）；每项变更记入变更记录。已有积分评定结果时"
        "变更积分规则或落户指标数，warnings 提示须重新进行积分评定。"
    ),
)
def round_update(request: HttpRequest, year: Year, payload: RoundUpdateIn) -> dict[str, Any]:
    rnd = selectors.round_by_year(year)
    changes = payload.model_dump(exclude_unset=True)
    reason = changes.pop("reason")
    result = services.round_update(actor=request.auth, round=rnd, changes=changes, reason=reason)
    return {
        "round": present.round_(result.round),
        "changes": [_change(c) for c in result.changes],
        "warnings": result.warnings,
    }


@router.get(
    "/rounds/{year}/changes",
    response={200: list[RoundChangeOut], **ERRORS},
    summary="年度参数变更记录（市人社局管理员）",
)
def round_changes(request: HttpRequest, year: Year) -> list[dict[str, Any]]:
    _bureau(request)
    return [_change(c) for c in selectors.round_changes(selectors.round_by_year(year))]
