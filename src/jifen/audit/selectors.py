"""Reading the audit log. Every query returns the newest events first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import AuditEvent, AuditEventQuerySet

NEWEST_FIRST = ("-seq",)


def events_for_target(target_type: str, target_id: str) -> AuditEventQuerySet:
    """Everything recorded about one object (``target_type`` is ``"app_label.model"``)."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by(
        *NEWEST_FIRST
    )


def events(
    actor: Any = None,
    action: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditEventQuerySet:
    """Events filtered by actor (a user), action, kind ("change"/"access") and a time window
    (``since`` inclusive, ``until`` exclusive)."""
    queryset = AuditEvent.objects.all()
    if actor is not None:
        queryset = queryset.filter(actor=actor)
    if action is not None:
        queryset = queryset.filter(action=action)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    if since is not None:
        queryset = queryset.filter(at__gte=since)
    if until is not None:
        queryset = queryset.filter(at__lt=until)
    return queryset.order_by(*NEWEST_FIRST)
