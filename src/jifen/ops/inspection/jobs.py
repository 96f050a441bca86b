"""The scheduled inspections (see :mod:`jifen.ops.schedule`): daily 07:30, the weekly
system-software check on Mondays 08:00, the monthly summary on the 1st 09:00."""

from __future__ import annotations

from jifen.ops.models import Inspection

from . import service


def _line(inspection: Inspection) -> str:
    counts = service.counts(inspection.findings)
    return (
        f"巡检报告 #{inspection.pk}（{inspection.get_kind_display()}）：{inspection.status}；"
        f"正常 {counts['正常']} 项，警告 {counts['警告']} 项，异常 {counts['异常']} 项"
    )


def daily() -> str:
    return _line(service.run_daily())


def weekly() -> str:
    return _line(service.run_weekly())


def monthly() -> str:
    return _line(service.run_monthly())
