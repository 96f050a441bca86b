"""Demo: the operations reports (运维报告).

Reports are made from the other operations records (inspections, probes, incidents,
complaints, visits…), which their own demo modules load; this one only records the last
complete quarter's report once those records are there, as the operator would have taken it
(XLSX: quick to make, no PDF engine in the demo's load). Nothing is written to disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jifen.ops.models import HealthProbe, Incident, Inspection, OpsReport
from jifen.ops.reports.period import last_complete
from jifen.ops.reports.services import generate_report


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    period = last_complete("quarter", now)
    has_records = any(
        model.objects.filter(**{f"{field}__gte": period.start, f"{field}__lt": period.end}).exists()
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
