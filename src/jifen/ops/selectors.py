"""Reads of the operations records, for the console, the health checks and the reports."""

from __future__ import annotations

from typing import Any

from .models import Backup, ChainVerification, Incident, Inspection, RecoveryDrill


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
