"""The inspection reports (巡检报告): the list with filters, one report with its findings,
its PDF and XLSX, and an operator's "run now"."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from jifen.ops.access import ops_page, ops_read
from jifen.ops.inspection import exports, service
from jifen.ops.inspection.service import month_bounds
from jifen.ops.models import Inspection

BADGES = {"正常": "badge-done", "警告": "badge-pending", "异常": "badge-refused"}


def _month(text: str) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        return None


@require_safe
@ops_read
def inspection_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    month_text = request.GET.get("month", "").strip()
    rows = Inspection.objects.all()
    error = ""
    if kind in Inspection.Kind.values:
        rows = rows.filter(kind=kind)
    else:
        kind = ""
    if month_text:
        month = _month(month_text)
        if month is None:
            error = f"月份应为 YYYY-MM 格式，收到“{month_text}”。"
        else:
            start, end = month_bounds(month)
            rows = rows.filter(period_end__gt=start, period_start__lt=end)
    page = Paginator(rows.order_by("-created", "-id"), 31).get_page(request.GET.get("page"))
    return render(
        request,
        "ops/inspections.html",
        {
            "ops_section": "ops:inspections",
            "page": page,
            "rows": [(r, BADGES[r.status]) for r in page.object_list],
            "kinds": Inspection.Kind.choices,
            "kind": kind,
            "month": month_text,
            "month_error": error,
        },
    )


@require_safe
@ops_read
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_object_or_404(Inspection, pk=pk)
    rows = [
        {**row, "shown": exports.value_text(row), "badge": BADGES[row["status"]]}
        for row in inspection.findings
    ]
    return render(
        request,
        "ops/inspection_detail.html",
        {
            "ops_section": "ops:inspections",
            "inspection": inspection,
            "badge": BADGES[inspection.status],
            "period": exports.period_text(inspection),
            "rows": rows,
            "counts": inspection.summary.get("counts", {}),
            "summary_rows": exports.summary_rows(inspection),
            "trend": inspection.summary.get("trend") or [],
        },
    )


@require_safe
@ops_read
def inspection_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    inspection = get_object_or_404(Inspection, pk=pk)
    if fmt == "pdf":
        content, ctype = exports.to_pdf(inspection), "application/pdf"
    elif fmt == "xlsx":
        content = exports.to_xlsx(inspection)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(inspection, fmt)}"'
    return response


@require_POST
@ops_page
def inspection_run(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", Inspection.Kind.DAILY)
    if kind == Inspection.Kind.WEEKLY:
        inspection = service.run_weekly(actor=request.user)
    elif kind == Inspection.Kind.MONTHLY:
        inspection = service.run_monthly(actor=request.user)
    elif kind == Inspection.Kind.DAILY:
        inspection = service.run_daily(actor=request.user)
    else:
        messages.error(request, "请选择巡检类型（日常巡检、系统软件周检或月度巡检汇总）。")
        return redirect("ops:inspections")
    counts = inspection.summary.get("counts", {})
    text = (
        f"已完成{inspection.get_kind_display()}：结论{inspection.status}"
        f"（正常 {counts.get('正常', 0)} 项，警告 {counts.get('警告', 0)} 项，"
        f"异常 {counts.get('异常', 0)} 项）"
    )
    raised = inspection.summary.get("alerts_raised", 0)
    if raised:
        text += f"，已发出 {raised} 条告警"
    messages.success(request, text + "。")
    return redirect("ops:inspection", pk=inspection.pk)
