"""Alerts (告警) and the incidents (故障) they open.

Whatever finds a problem — an inspection, a health probe, a backup, a drill, the audit chain's
verification — calls :func:`raise_alert`. An alert opens an incident by itself unless an
incident opened by an alert of the same ``code`` is still open, so that a problem that stays
does not open a ticket every time it is seen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event

from .models import Alert, Incident, IncidentEvent
from .numbering import create_numbered

ALERT_ACTION = "ops.alert"
INCIDENT_OPEN_ACTION = "ops.incident_open"

_STILL_OPEN = (Incident.Status.OPEN, Incident.Status.RESPONDING)


@transaction.atomic
def open_incident(
    *,
    title: str,
    symptom: str,
    channel: str,
    severity: str = Incident.Severity.MINOR,
    actor: Any = None,
    reported_at: datetime | None = None,
) -> Incident:
    """Open an incident ticket (numbered GZ-<year>-<serial>) with its first timeline line."""
    at = reported_at or timezone.now()
    incident = create_numbered(
        Incident,
        "GZ",
        at,
        title=title[:200],
        symptom=symptom,
        channel=channel,
        severity=severity,
        reported_at=at,
        created_by=actor,
    )
    IncidentEvent.objects.create(
        incident=incident,
        at=at,
        actor=actor,
        kind="opened",
        text=f"登记故障（{incident.get_channel_display()}）：{title}",
    )
    record_event(
        actor=actor,
        action=INCIDENT_OPEN_ACTION,
        target=incident,
        after={"number": incident.number, "severity": severity, "channel": channel},
    )
    return incident


@transaction.atomic
def raise_alert(
    *,
    source: str,
    code: str,
    level: str,
    message: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Alert:
    """Record an alert and open (or join) its incident."""
    at = at or timezone.now()
    open_for_code = (
        Incident.objects.select_for_update()
        .filter(status__in=_STILL_OPEN, alerts__code=code)
        .order_by("-reported_at")
        .first()
    )
    if open_for_code is None:
        severity = (
            Incident.Severity.SERIOUS if level == Alert.Level.CRITICAL else Incident.Severity.MINOR
        )
        incident = open_incident(
            title=message.splitlines()[0] if message else code,
            symptom=message,
            channel=Incident.Channel.MONITORING,
            severity=severity,
            reported_at=at,
        )
    else:
        incident = open_for_code
        IncidentEvent.objects.create(
            incident=incident, at=at, kind="alert", text=f"再次告警：{message}"
        )
    alert = Alert.objects.create(
        source=source,
        code=code,
        level=level,
        message=message,
        details=details or {},
        raised_at=at,
        incident=incident,
    )
    record_event(
        actor=None,
        action=ALERT_ACTION,
        target=alert,
        after={"code": code, "level": level, "incident": incident.number},
        detail=message[:500],
    )
    return alert
