"""The statistics page (/stats/) and each table's XLSX download: thin, the numbers come from
statistics_selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from jifen.core.roles import Role
from jifen.web.access import role_required

from . import exports
from . import statistics_selectors as selectors

viewer_page = role_required(
    [Role.BUREAU_ADMIN, Role.AUDITOR], "统计分析仅供市人社局管理员和审计员查看"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() else None


@require_safe
@viewer_page
def statistics(request: HttpRequest) -> HttpResponse:
    stats = selectors.statistics(request.user, year=_year(request))
    return render(
        request,
        "stats/statistics.html",
        {
            "stats": stats,
            "round": stats.round,
            "charts": {t.key: t.chart for t in stats.tables if t.chart},
        },
    )


@require_safe
@viewer_page
def statistics_xlsx(request: HttpRequest, key: str) -> HttpResponse:
    content, name = exports.statistics_table_file(actor=request.user, key=key, year=_year(request))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
