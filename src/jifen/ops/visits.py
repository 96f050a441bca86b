"""On-site service records (客户现场服务): a visit is recorded (date, place, engineer,
problem), solved (how), signed off by the bureau's person (name, time) with a satisfaction
rating (1–5). A visit is complete only when solved and signed off.

Writes are keyword-only, atomic, each with its audit event; :func:`visit_stats` is the reports'
figure of a period; :func:`visits_xlsx` the period's export.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from jifen.audit.exports import record_export
from jifen.audit.services import record_event
from jifen.core import watermark
from jifen.core.errors import Conflict, InvalidInput
from jifen.core.roles import Role

from . import parameters
from .models import ServiceVisit

VISIT_RECORD_ACTION = "ops.visit_record"
VISIT_SOLVE_ACTION = "ops.visit_solve"
VISIT_SIGN_OFF_ACTION = "ops.visit_sign_off"

COMPLETE = Q(signed_off_at__isnull=False) & ~Q(solution="")


def is_complete(visit: ServiceVisit) -> bool:
    """Solved and signed off (the agreement's definition of a finished visit)."""
    return bool(visit.solution.strip()) and visit.signed_off_at is not None


def _text(value: Any, field: str, label: str, max_length: int | None = None) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not text:
        raise InvalidInput(f"请填写{label}。", field=field)
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(f"{label}不能超过 {max_length} 个字。", field=field)
    return text


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    visited_on: date | None,
    place: str,
    engineer: Any,
    problem: str,
    solution: str = "",
) -> ServiceVisit:
    """Record a visit; the solution may be given at once or later (:func:`visit_solve`)."""
    if visited_on is None:
        raise InvalidInput("请填写服务日期。", field="visited_on")
    if visited_on > timezone.localdate():
        raise InvalidInput("服务日期不能晚于今天。", field="visited_on")
    place = _text(place, "place", "服务地点", 200)
    if engineer is None or getattr(engineer, "role", None) != Role.OPERATOR:
        raise InvalidInput("请选择服务人员（运维人员）。", field="engineer")
    problem = _text(problem, "problem", "问题描述")
    visit = ServiceVisit.objects.create(
        visited_on=visited_on,
        place=place,
        engineer=engineer,
        problem=problem,
        solution=(solution or "").strip(),
    )
    record_event(
        actor=actor,
        action=VISIT_RECORD_ACTION,
        target=visit,
        after={"visited_on": visited_on.isoformat(), "engineer": engineer.pk},
    )
    return visit


def _locked(visit: ServiceVisit | int) -> ServiceVisit:
    pk = visit if isinstance(visit, int) else visit.pk
    return ServiceVisit.objects.select_for_update().get(pk=pk)


@transaction.atomic
def visit_solve(*, actor: Any, visit: ServiceVisit | int, solution: str) -> ServiceVisit:
    """Record how the problem was solved (before the sign-off; it is what is signed)."""
    row = _locked(visit)
    if row.signed_off_at is not None:
        raise Conflict("该现场服务已由甲方确认，不能再修改解决方法。", field="solution")
    solution = _text(solution, "solution", "解决方法")
    before = row.solution
    row.solution = solution
    row.save(update_fields=["solution"])
    record_event(
        actor=actor,
        action=VISIT_SOLVE_ACTION,
        target=row,
        before={"solved": bool(before)},
        after={"solved": True},
    )
    return row


@transaction.atomic
def visit_sign_off(
    *,
    actor: Any,
    visit: ServiceVisit | int,
    signed_off_by: str,
    satisfaction: int | str | None,
    signed_off_at: datetime | None = None,
) -> ServiceVisit:
    """The bureau's person confirms the solved visit and rates it (1–5)."""
    row = _locked(visit)
    if row.signed_off_at is not None:
        raise Conflict("该现场服务已由甲方确认，不能重复确认。", field="signed_off_by")
    if not row.solution.strip():
        raise Conflict("请先填写解决方法，问题解决后才能由甲方确认。", field="solution")
    name = _text(signed_off_by, "signed_off_by", "甲方确认人姓名", 50)
    try:
        rating = int(str(satisfaction).strip())
    except (TypeError, ValueError):
        rating = 0
    if rating not in ServiceVisit.Satisfaction.values:
        raise InvalidInput("满意度应为 1 至 5 分。", field="satisfaction")
    at = signed_off_at or timezone.now()
    if at > timezone.now():
        raise InvalidInput("确认时间不能晚于当前时间。", field="signed_off_at")
    if timezone.localtime(at).date() < row.visited_on:
        raise InvalidInput("确认时间不能早于服务日期。", field="signed_off_at")
    row.signed_off_by, row.signed_off_at, row.satisfaction = name, at, rating
    row.save(update_fields=["signed_off_by", "signed_off_at", "satisfaction"])
    # The signer's name is the bureau's staff member's: kept on the record, not in the log.
    record_event(
        actor=actor,
        action=VISIT_SIGN_OFF_ACTION,
        target=row,
        after={"signed_off_at": at.isoformat(), "satisfaction": rating},
    )
    return row


# --- reads -----------------------------------------------------------------------------------


def visits_between(start: date, end: date) -> QuerySet[ServiceVisit]:
    """Visits with ``start <= visited_on <= end``, newest first."""
    return ServiceVisit.objects.filter(visited_on__gte=start, visited_on__lte=end).select_related(
        "engineer"
    )


def visit_stats(start: date, end: date) -> dict[str, Any]:
    """The on-site service figures of ``start``..``end`` (both days included), for the reports.

    Keys: ``start``, ``end`` (ISO dates); ``total`` visits; ``completed`` (solved and signed
    off); ``open`` (not yet complete); ``completion_rate`` (completed / total, 0–1, None without
    visits); ``rated`` (visits with a rating); ``average_satisfaction`` (1–5, two decimals, None
    without ratings); ``satisfaction_counts`` ({1: n, … 5: n}); ``months`` (one dict a calendar
    month with a visit, oldest first: ``month`` "YYYY-MM", ``total``, ``completed``,
    ``average_satisfaction``); ``target_per_month`` and ``satisfaction_target`` (parameters).
    """
    rows = visits_between(start, end)
    totals = rows.aggregate(
        total=Count("id"),
        completed=Count("id", filter=COMPLETE),
        rated=Count("satisfaction"),
        average=Avg("satisfaction"),
    )
    counts = {value: 0 for value in ServiceVisit.Satisfaction.values}
    for value, n in (
        rows.exclude(satisfaction=None)
        .values_list("satisfaction")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[value] = n
    months = [
        {
            "month": m["month"].strftime("%Y-%m"),
            "total": m["total"],
            "completed": m["completed"],
            "average_satisfaction": _round(m["average"]),
        }
        for m in rows.annotate(month=TruncMonth("visited_on"))
        .values("month")
        .annotate(
            total=Count("id"), completed=Count("id", filter=COMPLETE), average=Avg("satisfaction")
        )
        .order_by("month")
    ]
    total = totals["total"]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "total": total,
        "completed": totals["completed"],
        "open": total - totals["completed"],
        "completion_rate": round(totals["completed"] / total, 4) if total else None,
        "rated": totals["rated"],
        "average_satisfaction": _round(totals["average"]),
        "satisfaction_counts": counts,
        "months": months,
        "target_per_month": parameters.get("visits_per_month_target"),
        "satisfaction_target": parameters.get("visit_satisfaction_target"),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def visits_xlsx(start: date, end: date, *, actor: Any = None) -> bytes:
    """The visits of ``start``..``end`` as an XLSX workbook (one row a visit, then totals),
    watermarked with ``actor`` and now; the export is logged (it names people)."""
    from jifen.core.watermark import apply_to_xlsx
    from jifen.stats.adhoc_xlsx import new_workbook, write_row

    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("现场服务记录")
    sheet.write_string(0, 0, f"客户现场服务记录（{start.isoformat()} 至 {end.isoformat()}）", bold)
    headers = [
        "服务日期",
        "服务地点",
        "服务人员",
        "问题描述",
        "解决方法",
        "甲方确认人",
        "确认时间",
        "满意度",
        "状态",
    ]
    write_row(sheet, 2, headers, bold)
    row_no = 3
    for visit in visits_between(start, end).order_by("visited_on", "id"):
        write_row(
            sheet,
            row_no,
            [
                visit.visited_on.isoformat(),
                visit.place,
                visit.engineer.display_name,
                visit.problem,
                visit.solution,
                visit.signed_off_by,
                timezone.localtime(visit.signed_off_at).strftime("%Y-%m-%d %H:%M")
                if visit.signed_off_at
                else "",
                visit.satisfaction if visit.satisfaction is not None else "",
                "已完成" if is_complete(visit) else "未完成",
            ],
        )
        row_no += 1
    stats = visit_stats(start, end)
    row_no += 1
    write_row(sheet, row_no, ["合计", stats["total"]], bold)
    write_row(sheet, row_no + 1, ["已完成", stats["completed"]])
    average = stats["average_satisfaction"]
    write_row(sheet, row_no + 2, ["平均满意度", average if average is not None else "—"])
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 24)
    sheet.set_column(3, 4, 40)
    mark = watermark.for_actor(actor)
    apply_to_xlsx(book, mark)
    book.close()
    record_export(
        actor=actor,
        what="ops.visits",
        fmt="xlsx",
        rows=stats["total"],
        watermark=mark,
        target_type="ops.servicevisit",
        target_id=f"{start.isoformat()}..{end.isoformat()}",
    )
    return buffer.getvalue()
