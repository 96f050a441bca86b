"""The declaration: start, save each section, self-assess, submit, withdraw; the employer's
review (return with a reason, or submit to the departments)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jifen.applications import declaration as decl
from jifen.applications import selectors, services
from jifen.applications.models import Application, Status
from jifen.core.errors import InvalidInput, NotPermitted
from jifen.core.roles import Role

from . import present
from .schemas import (
    MAX_PAGE,
    ApplicationDetail,
    ApplicationId,
    ApplicationSummary,
    AssessmentOut,
    ErrorOut,
    ReturnIn,
    SaveOut,
    StartIn,
    Version,
    VersionIn,
    section_value_plain,
    section_value_type,
)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}

router = Router(tags=["积分申报"])
employer_router = Router(tags=["单位审核"])


def _detail(request: HttpRequest, app: Application) -> dict[str, Any]:
    return present.application_detail(request.auth, app)


def _read(request: HttpRequest, app: Application) -> dict[str, Any]:
    """The detail for a GET: an employer's or staff member's read is an access event."""
    services.record_declaration_view(
        actor=request.auth, app=app, sections=selectors.visible_sections(request.auth, app)
    )
    return _detail(request, app)


def _reload(request: HttpRequest, app: Application) -> dict[str, Any]:
    return _detail(request, selectors.application_for(request.auth, app.pk))


# --- the applicant ------------------------------------------------------------------------


@router.get(
    "/applications",
    response={200: list[ApplicationSummary], **ERRORS},
    summary="我的申报（申请人）",
)
def applications_mine(request: HttpRequest) -> list[dict[str, Any]]:
    apps = selectors.applications_of_applicant(request.auth).select_related("applicant")
    return [present.application_summary(a) for a in apps]


@router.post(
    "/applications",
    response={200: ApplicationDetail, **ERRORS},
    summary="开始填报（申请人）",
    description=(
        "在当前年度（或 round_id 指定的年度）开始填报；已有该年度的申报时返回该申报。"
        "须先关联用人单位并经单位确认，且在申报期内。"
    ),
)
def application_start(request: HttpRequest, payload: StartIn | None = None) -> dict[str, Any]:
    round_id = payload.round_id if payload is not None else None
    app = services.application_start(actor=request.auth, round_id=round_id)
    return _reload(request, app)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationDetail, **ERRORS},
    summary="申报详情",
    description="状态、版本号、申报编号、可查看的填报内容及各填报项尚存的问题。",
)
def application_detail(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    return _read(request, selectors.application_for(request.auth, application_id))


def _make_save(section: decl.Section) -> Any:
    body = type(
        "".join(part.title() for part in section.key.split("_")) + "Save",
        (Schema,),
        {
            "__annotations__": {"version": Version, "value": section_value_type(section.key)},
            "__doc__": f"保存“{section.title}”：读取时的版本号和该填报项的内容。",
        },
    )

    def save(request: HttpRequest, payload: Any, application_id: ApplicationId) -> dict[str, Any]:
        result = services.application_save_section(
            actor=request.auth,
            application_id=application_id,
            section=section.key,
            value=section_value_plain(payload.value),
            version=payload.version,
        )
        return {"version": result.application.version, "errors": present.errors(result.errors),
                "warnings": present.errors(result.warnings)}

    save.__name__ = f"application_save_{section.key}"
    # A body type made here: give ninja the class itself, not a name to look up.
    save.__annotations__ = {"request": HttpRequest, "payload": body,
                            "application_id": ApplicationId, "return": dict[str, Any]}
    return save


for _section in decl.SECTIONS:
    router.put(
        f"/applications/{{application_id}}/sections/{_section.key}",
        response={200: SaveOut, **ERRORS},
        summary=f"保存填报项：{_section.title}",
        description=(
            f"{_section.help}\n\n"
            "内容按填写原样保存，即使有错误也会保存（不丢失已填写的内容）：返回 200、"
            "新的版本号，该填报项尚存的问题（errors，逐项指出字段），以及可能有误、"
            "请核对的提醒（warnings，不影响提交）。全角数字按半角保存，其他文字的数字不予接受。"
            "版本号不是最新时返回 409 stale_version，不在申报期内返回 409 outside_window。"
        ),
        operation_id=f"application_save_{_section.key}",
        url_name=f"application_save_{_section.key}",
    )(_make_save(_section))


@router.put(
    "/applications/{application_id}/sections/{section}",
    response={200: SaveOut, **ERRORS},
    include_in_schema=False,
)
def application_save_unknown(
    request: HttpRequest, section: str, application_id: ApplicationId
) -> dict[str, Any]:
    # Reached only for a section that does not exist.
    raise InvalidInput(f"没有名为 {section[:40]} 的填报项", field="section")


@router.get(
    "/applications/{application_id}/assessment",
    response={200: AssessmentOut, **ERRORS},
    summary="积分自评",
    description=(
        "按申报内容（未经部门审核，verified 为 false）用积分规则计算的结果及中文说明。"
        "申报内容尚有问题时 result 为 null，errors 列出问题。"
    ),
)
def application_assessment(
    request: HttpRequest, application_id: ApplicationId
) -> dict[str, Any]:
    user = request.auth
    app = selectors.application_for(user, application_id)
    if set(selectors.visible_sections(user, app)) != set(decl.SECTION_KEYS):
        raise NotPermitted("只能查看本部门负责的填报项，不能查看积分自评")
    assessment = selectors.assess(app)
    explanation, reasons = present.explanation(assessment.breakdown)
    return {
        "verified": False,
        "result": assessment.result,
        "explanation_zh": explanation,
        "reasons_zh": reasons,
        "errors": present.errors(assessment.errors),
    }


@router.post(
    "/applications/{application_id}/submit",
    response={200: ApplicationDetail, **ERRORS},
    summary="提交申报（申请人）",
    description=(
        "提交给用人单位审核。申报内容尚有问题或须上传的证明材料尚未上传时返回 422，"
        "errors 逐项指出字段（缺少材料的条目如 housing[0]：请上传 租赁合同及登记备案证明）。"
    ),
)
def application_submit(
    request: HttpRequest, payload: VersionIn, application_id: ApplicationId
) -> dict[str, Any]:
    app = services.application_submit(
        actor=request.auth, application_id=application_id, version=payload.version
    )
    return _reload(request, app)


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationDetail, **ERRORS},
    summary="撤回申报（申请人）",
    description="单位提交前，申请人可撤回已提交的申报继续修改。",
)
def application_withdraw(
    request: HttpRequest, payload: VersionIn, application_id: ApplicationId
) -> dict[str, Any]:
    app = services.application_withdraw(
        actor=request.auth, application_id=application_id, version=payload.version
    )
    return _reload(request, app)


# --- the employer -------------------------------------------------------------------------


def _employer_only(request: HttpRequest) -> None:
    if request.auth.role != Role.EMPLOYER_AGENT:
        raise NotPermitted("只有用人单位经办人可以办理此事项")


@employer_router.get(
    "/employer/applications",
    response={200: list[ApplicationSummary], **ERRORS},
    summary="本单位职工的申报（单位经办人）",
    description="申请人提交后的申报（填报中的草稿不显示）。",
)
def employer_applications(
    request: HttpRequest,
    status: Annotated[Status | None, Query(description="按状态筛选")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    qs = selectors.applications_for_employer(request.auth, status=status).select_related(
        "employer"
    )
    return [present.application_summary(a) for a in qs[offset : offset + limit]]


@employer_router.get(
    "/employer/applications/{application_id}",
    response={200: ApplicationDetail, **ERRORS},
    summary="职工申报详情（单位经办人）",
)
def employer_application(
    request: HttpRequest, application_id: ApplicationId
) -> dict[str, Any]:
    _employer_only(request)
    return _read(request, selectors.application_for(request.auth, application_id))


@employer_router.post(
    "/employer/applications/{application_id}/return",
    response={200: ApplicationDetail, **ERRORS},
    summary="退回申请人修改（单位经办人）",
    description="须填写退回理由（reason）。",
)
def employer_application_return(
    request: HttpRequest, payload: ReturnIn, application_id: ApplicationId
) -> dict[str, Any]:
    app = services.application_return(
        actor=request.auth, application_id=application_id, reason=payload.reason,
        version=payload.version,
    )
    return _reload(request, app)


@employer_router.post(
    "/employer/applications/{application_id}/submit",
    response={200: ApplicationDetail, **ERRORS},
    summary="提交审核部门（单位经办人）",
)
def employer_application_submit(
    request: HttpRequest, payload: VersionIn, application_id: ApplicationId
) -> dict[str, Any]:
    app = services.application_employer_submit(
        actor=request.auth, application_id=application_id, version=payload.version
    )
    return _reload(request, app)

