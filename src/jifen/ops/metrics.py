"""Prometheus metrics (/metrics): django-prometheus' request and database metrics plus ours.

Our collector is asked only when /metrics is read; each family is one COUNT/GROUP BY (or one
row) so that a scrape every 15 seconds costs little. Names (all ``jifen_``):

* ``jifen_applications{status,round}`` — applications by status and round year;
* ``jifen_tasks{status}`` — background tasks (django-tasks-db) by status;
  ``jifen_task_oldest_ready_age_seconds`` — how long the oldest ready task has waited;
* ``jifen_scoring_runs{state}`` — scoring runs by state;
* ``jifen_backup_last_timestamp_seconds{kind}``, ``jifen_backup_last_bytes{kind}`` — the newest
  sound full and incremental backup;
* ``jifen_recovery_drill_last_ok``, ``jifen_recovery_drill_last_timestamp_seconds``;
* ``jifen_login_failures_last_hour``, ``jifen_lockouts_last_hour`` — from the audit log;
* ``jifen_audit_chain_verification_ok``, ``jifen_audit_chain_verification_timestamp_seconds``,
  ``jifen_audit_chain_verified_seq``;
* ``jifen_incidents_open{severity}``, ``jifen_complaints_overdue``;
* ``jifen_health_probe_last_ok``, ``jifen_health_probe_last_timestamp_seconds``;
* ``jifen_disk_used_ratio``, ``jifen_memory_used_ratio`` — this machine (psutil), for the
  alert rules when no node exporter runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import psutil
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from .models import Backup, Complaint, HealthProbe, Incident
from .selectors import latest_chain_verification, latest_drill


def _gauge(name: str, doc: str, value: float | None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    if value is not None:
        family.add_metric([], float(value))
    return family


class JifenCollector(Collector):
    """The system's own figures, read from the database at scrape time."""

    def collect(self) -> Iterator[Metric]:
        yield from self._applications()
        yield from self._tasks()
        yield from self._scoring_runs()
        yield from self._backups()
        yield from self._drill()
        yield from self._logins()
        yield from self._chain()
        yield from self._incidents()
        yield from self._probe()
        yield from self._machine()

    def _applications(self) -> Iterator[Metric]:
        from jifen.applications.models import Application

        family = GaugeMetricFamily(
            "jifen_applications", "Applications by status and round", labels=["status", "round"]
        )
        rows = Application.objects.values("status", "round__year").annotate(n=Count("id"))
        for row in rows.order_by():
            family.add_metric([row["status"], str(row["round__year"])], row["n"])
        yield family

    def _tasks(self) -> Iterator[Metric]:
        from django_tasks_db.models import DBTaskResult

        from .health_checks import oldest_ready_task_age

        family = GaugeMetricFamily("jifen_tasks", "Background tasks by status", labels=["status"])
        for row in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by():
            family.add_metric([row["status"]], row["n"])
        yield family
        yield _gauge(
            "jifen_task_oldest_ready_age_seconds",
            "Seconds the oldest task ready to run has waited (0 when none)",
            oldest_ready_task_age() or 0.0,
        )

    def _scoring_runs(self) -> Iterator[Metric]:
        from jifen.rounds.models import ScoringRun

        family = GaugeMetricFamily("jifen_scoring_runs", "Scoring runs by state", labels=["state"])
        for row in ScoringRun.objects.values("state").annotate(n=Count("id")).order_by():
            family.add_metric([row["state"]], row["n"])
        yield family

    def _backups(self) -> Iterator[Metric]:
        stamp = GaugeMetricFamily(
            "jifen_backup_last_timestamp_seconds",
            "Time of the newest sound backup by kind",
            labels=["kind"],
        )
        size = GaugeMetricFamily(
            "jifen_backup_last_bytes", "Size of the newest sound backup by kind", labels=["kind"]
        )
        for kind in (Backup.Kind.FULL, Backup.Kind.INCREMENTAL):
            row = (
                Backup.objects.filter(status=Backup.Status.OK, kind=kind)
                .order_by("-created", "-id")
                .values_list("created", "bytes")
                .first()
            )
            if row is not None:
                stamp.add_metric([kind], row[0].timestamp())
                size.add_metric([kind], row[1])
        yield stamp
        yield size

    def _drill(self) -> Iterator[Metric]:
        drill = latest_drill()
        yield _gauge(
            "jifen_recovery_drill_last_ok",
            "1 when the latest recovery drill passed",
            None if drill is None else int(drill.ok),
        )
        yield _gauge(
            "jifen_recovery_drill_last_timestamp_seconds",
            "Start of the latest recovery drill",
            None if drill is None else drill.started.timestamp(),
        )

    def _logins(self) -> Iterator[Metric]:
        from jifen.audit.models import AuditEvent

        since = timezone.now() - timedelta(hours=1)
        counts = dict(
            AuditEvent.objects.filter(
                at__gte=since, action__in=("account.login_failed", "account.locked_out")
            )
            .values_list("action")
            .annotate(n=Count("id"))
            .order_by()
        )
        yield _gauge(
            "jifen_login_failures_last_hour",
            "Failed logins in the last hour (audit log)",
            counts.get("account.login_failed", 0),
        )
        yield _gauge(
            "jifen_lockouts_last_hour",
            "Lock-outs in the last hour (audit log)",
            counts.get("account.locked_out", 0),
        )

    def _chain(self) -> Iterator[Metric]:
        verification = latest_chain_verification()
        yield _gauge(
            "jifen_audit_chain_verification_ok",
            "1 when the latest audit chain verification found the chain sound",
            None if verification is None else int(verification.ok),
        )
        yield _gauge(
            "jifen_audit_chain_verification_timestamp_seconds",
            "Time of the latest audit chain verification",
            None if verification is None else verification.at.timestamp(),
        )
        yield _gauge(
            "jifen_audit_chain_verified_seq",
            "The audit event the latest verification reached",
            None if verification is None else verification.to_seq,
        )

    def _incidents(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "jifen_incidents_open", "Open incidents by severity", labels=["severity"]
        )
        counts = dict(
            Incident.objects.filter(status__in=(Incident.Status.OPEN, Incident.Status.RESPONDING))
            .values_list("severity")
            .annotate(n=Count("id"))
            .order_by()
        )
        for severity in Incident.Severity.values:
            family.add_metric([severity], counts.get(severity, 0))
        yield family
        yield _gauge(
            "jifen_complaints_overdue",
            "Complaints not answered by their due time",
            Complaint.objects.filter(
                status=Complaint.Status.OPEN, due_at__lt=timezone.now()
            ).count(),
        )

    def _probe(self) -> Iterator[Metric]:
        row = HealthProbe.objects.order_by("-at").values_list("at", "ok").first()
        yield _gauge(
            "jifen_health_probe_last_ok",
            "1 when the latest health probe passed",
            None if row is None else int(row[1]),
        )
        yield _gauge(
            "jifen_health_probe_last_timestamp_seconds",
            "Time of the latest health probe",
            None if row is None else row[0].timestamp(),
        )

    def _machine(self) -> Iterator[Metric]:
        folder = settings.VAR_DIR if settings.VAR_DIR.exists() else "/"
        yield _gauge(
            "jifen_disk_used_ratio",
            "Used share of the disk holding the data folder",
            psutil.disk_usage(str(folder)).percent / 100,
        )
        yield _gauge(
            "jifen_memory_used_ratio",
            "Used share of the memory (not available to new processes)",
            psutil.virtual_memory().percent / 100,
        )


def registry() -> CollectorRegistry:
    """A registry holding only our collector (asked per scrape, never at start-up)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(JifenCollector())
    return reg


def render() -> tuple[bytes, str]:
    """The text exposition of django-prometheus' metrics and ours."""
    import prometheus_client
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several server processes (gunicorn workers): the counters of all of them, from the
        # files prometheus_client keeps in that folder (as django-prometheus' own view does).
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        body = prometheus_client.generate_latest(combined)
    else:
        body = prometheus_client.generate_latest(prometheus_client.REGISTRY)
    body += prometheus_client.generate_latest(registry())
    return body, CONTENT_TYPE_LATEST
