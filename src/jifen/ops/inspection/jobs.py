"""The scheduled inspections (see :mod:`jifen.ops.schedule`): daily 07:30, the weekly
system-software check on Mondays 08:00, the monthly summary on the 1st 09:00."""

from __future__ import annotations

from . import service


def _line(inspection: object) -> str:
    return (
        f"巡检报告 #{inspection.pk}（{inspection.get_kind_display()}）："  # type: ignore[attr-defined]
        f"{inspection.status}，"  # type: ignore[attr-defined]
        f"{service.counts(inspection.findings)}"  # type: ignore[attr-defined]
    )


def daily() -> str:
    return _line(service.run_daily())


def weekly() -> str:
    return _line(service.run_weekly())


def monthly() -> str:
    return _line(service.run_monthly())
