"""The reports page (运维报告, /ops/reports/): choose a period, preview the report in HTML
(the same charts as inline SVG), download it as PDF or XLSX (each download made from the
records, recorded and audited), and the list of reports generated so far. Operators, the
auditor and the bureau read it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from jifen.core.errors import ServiceError
from jifen.ops.access import report_read
from jifen.ops.models import OpsReport
from jifen.ops.reports import render as report_render
from jifen.ops.reports.collect import collect
from jifen.ops.reports.period import KINDS, last_complete, parse
from jifen.ops.reports.services import CONTENT_TYPES, FORMATS, generate_report

SHOWN_REPORTS = 50


def _page(
    request: HttpRequest,
    *,
    typed: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    general: str = "",
    status: int = 200,
) -> HttpResponse:
    data = sections = None
    if not errors:
        period = parse(typed["kind"], typed["period"])
        data = collect(period)
        sections = report_render.sections(data)
    return render(
        request,
        "ops/reports/page.html",
        {
            "ops_section": "ops:reports",
            "kinds": KINDS.items(),
            "typed": typed,
            "errors": errors or {},
            "general": general,
            "data": data,
            "sections": sections,
            "collapse_long": True,
            "reports": OpsReport.objects.select_related("generated_by")[:SHOWN_REPORTS],
        },
        status=status,
    )


def _refused(request: HttpRequest, typed: dict[str, str], exc: ServiceError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        errors.setdefault(err.field, []).append(err.message)
    return _page(request, typed=typed, errors=errors, general=exc.message, status=400)


def _typed(source: Any) -> dict[str, str]:
    kind = str(source.get("kind") or "quarter").strip()
    period = str(source.get("period") or "").strip()
    if not period and kind in KINDS:
        period = last_complete(kind, timezone.now()).label
    return {"kind": kind, "period": period, "format": str(source.get("format") or "pdf")}


@require_safe
@report_read
def reports_page(request: HttpRequest) -> HttpResponse:
    typed = _typed(request.GET)
    try:
        return _page(request, typed=typed)
    except ServiceError as exc:
        return _refused(request, typed, exc)


@require_POST
@report_read
def report_download(request: HttpRequest) -> HttpResponse:
    typed = _typed(request.POST)
    try:
        period = parse(typed["kind"], typed["period"])
        if typed["format"] not in FORMATS:
            raise ServiceError("报告格式应为 PDF 或 XLSX。", field="format")
        made = generate_report(
            period=period, fmt=typed["format"], actor=request.user, via="console"
        )
    except ServiceError as exc:
        return _refused(request, typed, exc)
    response = HttpResponse(made.content, content_type=CONTENT_TYPES[typed["format"]])
    response["Content-Disposition"] = content_disposition_header(True, made.filename)
    return response
