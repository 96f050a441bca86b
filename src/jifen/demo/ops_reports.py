"""Demo: the operations reports (运维报告).

Reports are made from the other operations records (inspections, probes, incidents,
complaints, visits…), which their own demo modules load for the last complete month; this one
records that month's report and the report of the quarter holding it once those records are
there, as the operator would have taken them (XLSX: quick to make, no PDF engine in the demo's
load). Nothing is written to disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jifen.ops.models import HealthProbe, Incident, Inspection, OpsReport
from jifen.ops.reports.period import Period, last_complete, parse
from jifen.ops.reports.services import generate_report


def demo_periods(now: datetime) -> list[Period]:
    """The demo's month of records lies in the last complete month: its monthly report and
    the quarter that holds it (so far, when that quarter is the current one)."""
    month = last_complete("month", now)
    quarter = parse("quarter", f"{month.first_day.year}Q{(month.first_day.month - 1) // 3 + 1}")
    return [month, quarter]


def report_url(now: datetime) -> str:
    """The reports page on the demo's quarter (for the demo's summary)."""
    quarter = demo_periods(now)[1]
    return f"/ops/reports/?kind=quarter&period={quarter.label}"


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    for period in demo_periods(now):
        _record(period, operator=operator, now=now, say=say)


def _record(period: Period, *, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    end = min(period.end, now)
    has_records = any(
        model.objects.filter(**{f"{field}__gte": period.start, f"{field}__lt": end}).exists()
        for model, field in (
            (Inspection, "created"),
            (HealthProbe, "at"),
            (Incident, "reported_at"),
        )
    )
    if not has_records:
        say(f"  operations report: no records for {period.label} yet, none recorded")
        return
    if OpsReport.objects.filter(kind=period.kind, period=period.label).exists():
        return
    made = generate_report(period=period, fmt="xlsx", actor=operator, via="demo", now=now)
    say(f"  operations report {period.label} recorded ({made.record.bytes} bytes)")
