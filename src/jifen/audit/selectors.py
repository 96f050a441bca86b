"""Reading the audit log. Every query returns the newest events first."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from jifen.core.errors import NotPermitted
from jifen.core.roles import Role

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
    *,
    actor_username: str | None = None,
) -> AuditEventQuerySet:
    """Events filtered by actor (a user), action, kind ("change"/"access") and a time window
    (``since`` inclusive, ``until`` exclusive).

    ``actor_username`` names the actor by username instead: the events of the account with
    that username, or, when no account has it (one since deleted), the events that stored it
    as ``actor_name``.
    """
    queryset = AuditEvent.objects.all()
    if actor is not None:
        queryset = queryset.filter(actor=actor)
    if actor_username:
        account = get_user_model().objects.filter(username=actor_username).first()
        if account is not None:
            queryset = queryset.filter(actor=account)
        else:
            queryset = queryset.filter(actor_name=actor_username)
    if action is not None:
        queryset = queryset.filter(action=action)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    if since is not None:
        queryset = queryset.filter(at__gte=since)
    if until is not None:
        queryset = queryset.filter(at__lt=until)
    return queryset.order_by(*NEWEST_FIRST)


def action_names() -> list[str]:
    """Every action the log holds, once each, in alphabetical order."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_for_auditor(
    user: Any,
    *,
    action: str | None = None,
    actor_username: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> AuditEventQuerySet:
    """The log as an auditor searches it: ``events`` with the window given as calendar days
    in the current time zone (``date_from`` and ``date_to`` both inclusive). NotPermitted for
    anyone but an auditor."""
    if not user.is_authenticated or getattr(user, "role", None) != Role.AUDITOR:
        raise NotPermitted("只有审计员可以查看审计日志")
    return events(
        action=action,
        kind=kind,
        since=_local_midnight(date_from) if date_from else None,
        until=_local_midnight(date_to + timedelta(days=1)) if date_to else None,
        actor_username=actor_username,
    )
