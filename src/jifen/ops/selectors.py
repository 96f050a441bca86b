"""Reads of the operations records, for the console, the health checks and the reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from .models import (
    Backup,
    ChainVerification,
    HealthProbe,
    Incident,
    Inspection,
    RecoveryDrill,
    ScheduledRun,
)


def latest_backup() -> Backup | None:
    return Backup.objects.filter(status=Backup.Status.OK).order_by("-created", "-id").first()


def latest_drill() -> RecoveryDrill | None:
    return RecoveryDrill.objects.order_by("-started", "-id").first()


def latest_chain_verification() -> ChainVerification | None:
    return ChainVerification.objects.order_by("-at", "-id").first()


def latest_inspection(kind: str = Inspection.Kind.DAILY) -> Inspection | None:
    return Inspection.objects.filter(kind=kind).order_by("-created", "-id").first()


def open_incidents() -> Any:
    return Incident.objects.filter(
        status__in=(Incident.Status.OPEN, Incident.Status.RESPONDING)
    ).order_by("-reported_at")


def availability(start: datetime, end: datetime) -> dict[str, Any]:
    """Availability (可用性) between ``start`` and ``end`` from the health probes.

    Each probe stands for the time until the next one, at most ``2 ×
    health_probe_interval_minutes``; time no probe covers (the machine or its task worker was
    down: the probes run in-process) counts as down, like a failed probe. ``end`` is cut at now.

    Returns a dict with:

    * ``start``, ``end`` — the window (``end`` cut at now);
    * ``percent_up`` — up time / window × 100, rounded to 3 places (None for an empty window);
    * ``probes`` — probes in the window; ``failed_probes`` — those that failed;
    * ``up_seconds``; ``down_seconds`` — failed probes' time plus ``no_data_seconds``;
    * ``no_data_seconds`` — time no probe covers;
    * ``outages`` — number of down stretches; ``longest_outage_seconds`` (0.0 when none) and
      ``longest_outage_start`` / ``longest_outage_end`` (None when none).
    """
    from . import parameters

    end = min(end, timezone.now())
    interval = timedelta(minutes=parameters.get("health_probe_interval_minutes"))
    grace = 2 * interval
    total = max((end - start).total_seconds(), 0.0)
    rows = list(
        HealthProbe.objects.filter(at__gte=start, at__lt=end).order_by("at").values_list("at", "ok")
    )
    # Segments (from, to, state) covering [start, end) in order; state up | failed | nodata.
    segments: list[tuple[datetime, datetime, str]] = []
    cursor = start
    for i, (at, ok) in enumerate(rows):
        seg_from = cursor if at - cursor <= grace else at
        if seg_from > cursor:
            segments.append((cursor, seg_from, "nodata"))
        nxt = rows[i + 1][0] if i + 1 < len(rows) else end
        seg_to = nxt if nxt - at <= grace else min(at + interval, end)
        segments.append((seg_from, seg_to, "up" if ok else "failed"))
        cursor = seg_to
    if cursor < end:
        segments.append((cursor, end, "nodata"))

    def seconds(state: str) -> float:
        return sum((b - a).total_seconds() for a, b, s in segments if s == state)

    outages: list[tuple[datetime, datetime]] = []
    for a, b, state in segments:
        if state == "up" or b <= a:
            continue
        if outages and outages[-1][1] == a:
            outages[-1] = (outages[-1][0], b)
        else:
            outages.append((a, b))
    longest = max(outages, key=lambda o: o[1] - o[0], default=None)
    up, no_data = seconds("up"), seconds("nodata")
    return {
        "start": start,
        "end": end,
        "percent_up": round(up / total * 100, 3) if total else None,
        "probes": len(rows),
        "failed_probes": sum(1 for _at, ok in rows if not ok),
        "up_seconds": up,
        "down_seconds": seconds("failed") + no_data,
        "no_data_seconds": no_data,
        "outages": len(outages),
        "longest_outage_seconds": (longest[1] - longest[0]).total_seconds() if longest else 0.0,
        "longest_outage_start": longest[0] if longest else None,
        "longest_outage_end": longest[1] if longest else None,
    }


def probes_since(since: datetime) -> list[HealthProbe]:
    """The health probes since ``since``, oldest first (the console's strip)."""
    return list(HealthProbe.objects.filter(at__gte=since).order_by("at"))


def recent_chain_verifications(limit: int = 20) -> list[ChainVerification]:
    return list(ChainVerification.objects.order_by("-at", "-id")[:limit])


def recent_scheduled_runs(limit: int = 50) -> list[ScheduledRun]:
    return list(ScheduledRun.objects.order_by("-planned_at", "-id")[:limit])


def failed_scheduled_runs(since: datetime, limit: int = 20) -> list[ScheduledRun]:
    """Scheduled runs that failed since ``since``, newest first."""
    return list(
        ScheduledRun.objects.filter(ok=False, planned_at__gte=since).order_by("-planned_at", "-id")[
            :limit
        ]
    )
