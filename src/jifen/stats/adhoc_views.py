"""The ad-hoc statistics page (应急统计, /stats/adhoc/): bureau administrators only (with the
second factor, as every staff page). The question is typed in a plain form whose values are
kept when it is refused; "导出 XLSX" answers with the spreadsheet instead of the page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from jifen.core.errors import SHOWN_ON_PAGE, ServiceError
from jifen.core.roles import Role
from jifen.web.access import role_required

from . import exports
from .adhoc import OPS, REFUSED, min_group, run_question, time_limit
from .adhoc_fields import FIELDS, measure_choices
from .adhoc_readonly import QueryTimeout

FILTER_ROWS = 4
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

bureau_page = role_required([Role.BUREAU_ADMIN], REFUSED)


def question_from_form(post: QueryDict) -> tuple[dict[str, Any], list[int]]:
    """The question of the page's form (as the API takes it) and, for each of its filters,
    the form row it came from (rows without a field are skipped)."""
    filters, rows = [], []
    for i in range(FILTER_ROWS):
        key = post.get(f"f{i}_field", "").strip()
        if not key:
            continue
        op = post.get(f"f{i}_op", "eq")
        value, upper = post.get(f"f{i}_value", ""), post.get(f"f{i}_upper", "")
        filters.append(
            {"field": key, "op": op, "value": value, "values": value, "min": value, "max": upper}
        )
        rows.append(i)
    data = {
        "group_by": [g for g in (post.get("group1", ""), post.get("group2", "")) if g],
        "measures": post.getlist("measures"),
        "filters": filters,
    }
    return data, rows


def _errors_by_row(exc: ServiceError, rows: list[int]) -> tuple[dict[str, list[str]], list[str]]:
    """Each message under its form row (``f0`` …, ``group_by``, ``measures``); the rest."""
    placed: dict[str, list[str]] = {}
    others: list[str] = []
    for err in exc.errors:
        name = err.field
        if name.startswith("filters[") and "]" in name:
            index = int(name[len("filters[") : name.index("]")])
            name = f"f{rows[index]}" if index < len(rows) else "filters"
        elif name.startswith("group_by"):
            name = "group_by"
        elif name.startswith("measures"):
            name = "measures"
        placed.setdefault(name, []).append(err.message)
    if not exc.errors:
        others.append(exc.message)
    return placed, others


def _typed(post: QueryDict | None) -> dict[str, Any]:
    post = post or QueryDict()
    return {
        "group1": post.get("group1", "employer_district"),
        "group2": post.get("group2", ""),
        "measures": post.getlist("measures") or ["count"],
        "rows": [
            {
                "index": i,
                "field": post.get(f"f{i}_field", ""),
                "op": post.get(f"f{i}_op", "eq"),
                "value": post.get(f"f{i}_value", ""),
                "upper": post.get(f"f{i}_upper", ""),
            }
            for i in range(FILTER_ROWS)
        ],
    }


@bureau_page
@require_http_methods(["GET", "POST"])
def adhoc_page(request: HttpRequest) -> HttpResponse:
    answer = None
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        data, rows = question_from_form(request.POST)
        export = request.POST.get("action") == "export"
        try:
            answer = run_question(
                actor=request.user, data=data, purpose="export" if export else "view"
            )
        except (*SHOWN_ON_PAGE, QueryTimeout) as exc:
            errors, general = _errors_by_row(exc, rows)
            general.insert(0, exc.message)
            status = exc.status
        else:
            if export:
                response = HttpResponse(
                    exports.adhoc_file(actor=request.user, answer=answer), content_type=XLSX
                )
                response["Content-Disposition"] = content_disposition_header(True, "应急统计.xlsx")
                return response
    for row in (typed := _typed(request.POST if request.method == "POST" else None))["rows"]:
        row["errors"] = errors.get(f"f{row['index']}", [])
    context = {
        "typed": typed,
        "answer": answer,
        "table": answer.table() if answer else [],
        "errors": errors,
        "general": general,
        "group_fields": [(f.key, f.label) for f in FIELDS.values() if f.groupable],
        "filter_fields": [(f.key, f.label) for f in FIELDS.values()],
        "ops": list(OPS.items()),
        "measures": measure_choices(),
        "minimum": min_group(),
        "seconds": f"{time_limit():g}",
        "choices_help": [
            (f.label, "、".join(label for _, label in f.choices))
            for f in FIELDS.values()
            if f.choices and not f.key.startswith(("item:", "indicator"))
        ],
    }
    return render(request, "stats/adhoc.html", context, status=status)
