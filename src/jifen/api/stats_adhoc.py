"""Ad-hoc statistics (应急统计) and what-if (模拟测算) over the API, for the bureau's
administrators (with their signed-in, second-factor session): the same services as the pages
``/stats/adhoc/`` and ``/stats/whatif/``."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema

from jifen.core.errors import NotPermitted
from jifen.stats import adhoc, exports, whatif
from jifen.stats.adhoc_fields import FIELDS, measure_choices
from jifen.stats.adhoc_views import XLSX
from jifen.stats.whatif_params import PARAMETERS
from jifen.stats.whatif_views import scenario_from

from .schemas import MAX_PAGE, ErrorOut, Text

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

router = Router(tags=["应急统计与模拟测算"])

Scalar = Text | float | bool | None


class FilterIn(Schema):
    field: Text = Field(..., description="字段代码，见 GET /api/stats/adhoc/fields")
    op: Literal["eq", "in", "range"] = Field("eq", description="eq 等于 / in 属于 / range 介于")
    value: Scalar = Field(None, description="eq：取值（代码或中文名称）")
    values: list[Scalar] | None = Field(None, max_length=50, description="in：取值列表")
    min: Scalar = Field(None, description="range：下限（含）")
    max: Scalar = Field(None, description="range：上限（含）")


class QuestionIn(Schema):
    group_by: list[Text] = Field(..., max_length=2, description="一至两个分组字段代码")
    measures: list[Text] = Field(
        ["count"], max_length=4, description="count，或 avg:/min:/max: 加可统计字段代码"
    )
    filters: list[FilterIn] = Field([], max_length=10)


class WhatIfIn(Schema):
    year: int = Field(..., ge=2000, le=2100, description="积分落户年度")
    quota: int | None = Field(None, ge=1, le=1_000_000, description="落户指标数；缺省为本年度的")
    rule_set: Text | None = Field(None, description="积分规则，如 beijing-2016；缺省为本年度的")
    parameter: Text | None = Field(
        None, description="要调整的参数代码，见 GET /api/stats/whatif/parameters"
    )
    value: Text | None = Field(None, description="参数的新取值")


def _bureau(request: HttpRequest) -> Any:
    if not adhoc.may_ask(request.auth):
        raise NotPermitted(adhoc.REFUSED)
    return request.auth


def _question(body: QuestionIn) -> dict[str, Any]:
    return body.dict()


@router.get(
    "/stats/adhoc/fields",
    response={200: dict[str, Any], **ERRORS},
    summary="应急统计可用的字段和统计指标（市人社局管理员）",
)
def adhoc_fields(request: HttpRequest) -> dict[str, Any]:
    _bureau(request)
    return {
        "minimum": adhoc.min_group(),
        "seconds": adhoc.time_limit(),
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "ops": list(f.ops),
                "groupable": f.groupable,
                "measurable": f.measurable,
                "choices": [{"value": v, "label": label} for v, label in f.choices],
            }
            for f in FIELDS.values()
        ],
        "measures": [{"key": k, "label": label} for k, label in measure_choices()],
    }


@router.post(
    "/stats/adhoc",
    response={200: dict[str, Any], **ERRORS},
    summary="应急统计查询（市人社局管理员）",
    description=(
        "只读查询，有时间限制；人数少于下限的分组及可由合计推算出的分组隐去（hidden 为 true，"
        "count 为 null，shown 为 “<10” 或 “—”）。错误时 errors 列出每个有误的字段"
        "（如 filters[0].value）。每次查询记入审计日志。"
    ),
)
def adhoc_run(request: HttpRequest, body: QuestionIn) -> dict[str, Any]:
    return adhoc.run_question(actor=_bureau(request), data=_question(body)).as_dict()


@router.post(
    "/stats/adhoc/xlsx",
    response={200: None, **ERRORS},
    summary="导出应急统计（XLSX，市人社局管理员）",
)
def adhoc_export(request: HttpRequest, body: QuestionIn) -> HttpResponse:
    answer = adhoc.run_question(actor=_bureau(request), data=_question(body), purpose="export")
    content = exports.adhoc_file(actor=request.auth, answer=answer)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "应急统计.xlsx")
    return response


@router.get(
    "/stats/whatif/parameters",
    response={200: list[dict[str, str]], **ERRORS},
    summary="模拟测算可调整的积分参数（市人社局管理员）",
)
def whatif_parameters(request: HttpRequest) -> list[dict[str, str]]:
    _bureau(request)
    return [{"key": p.key, "label": p.label, "kind": p.kind} for p in PARAMETERS.values()]


def _difference(d: whatif.Difference) -> dict[str, Any]:
    def side(s: whatif.Standing | None) -> dict[str, Any] | None:
        if s is None:
            return None
        total = None if s.total_cents is None else s.total_cents / 100
        return {"rank": s.rank, "total": total, "eligible": s.eligible, "admitted": s.admitted}

    return {
        "application_no": d.application_no,
        "change": d.change,
        "change_name": d.change_label,
        "before": side(d.before),
        "after": side(d.after),
        "why": d.why,
    }


@router.post(
    "/stats/whatif",
    response={200: dict[str, Any], **ERRORS},
    summary="模拟测算（市人社局管理员）",
    description=(
        "不改变本年度的积分评定结果。返回两边的分数线和取得资格人数，以及排名或积分有变化的"
        "申请（changed 条，按 offset/limit 分页），每条有原因 why。记入审计日志。"
    ),
)
def whatif_run(
    request: HttpRequest,
    body: WhatIfIn,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=10**7),
) -> dict[str, Any]:
    actor = _bureau(request)
    year, scenario = scenario_from(body.dict())
    outcome = whatif.compute_whatif(actor=actor, year=year, scenario=scenario)
    changed = outcome.changed
    return {
        **outcome.summary(),
        "notes": outcome.notes,
        "differences": [_difference(d) for d in changed[offset : offset + limit]],
    }


@router.post(
    "/stats/whatif/xlsx",
    response={200: None, **ERRORS},
    summary="导出模拟测算的逐人差异（XLSX，市人社局管理员）",
)
def whatif_export(request: HttpRequest, body: WhatIfIn) -> HttpResponse:
    actor = _bureau(request)
    year, scenario = scenario_from(body.dict())
    outcome = whatif.compute_whatif(actor=actor, year=year, scenario=scenario, purpose="export")
    response = HttpResponse(exports.whatif_file(actor=actor, outcome=outcome), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"模拟测算-{outcome.round.year}.xlsx"
    )
    return response
