"""Readiness checks one by one (each failing case), the probe job, availability, the page."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jifen.core.roles import Role
from jifen.ops import health_checks, parameters, runner, selectors, verification
from jifen.ops.models import Alert, Backup, ChainVerification, HealthProbe, ScheduledRun
from jifen.ops.probes import record_probe
from tests.factories import make_staff, staff_client

pytestmark = pytest.mark.django_db

Usage = namedtuple("Usage", "total used free percent")


def check(name: str) -> health_checks.CheckResult:
    return next(r for r in health_checks.run_checks().results if r.name == name)


def healthy_records() -> None:
    now = timezone.now()
    Backup.objects.create(backup_id="B1", kind="full", engine="sqlite", created=now)
    verification.verify_audit_chain()
    ScheduledRun.objects.create(job="health_probe", planned_at=now, finished=now, ok=True)


def test_everything_in_order_gives_ok_without_warnings(client: Client) -> None:
    healthy_records()
    body = client.get("/healthz/ready").json()
    assert body["status"] == "ok" and body["warnings"] == [] and body["failing"] == []
    assert set(body["checks"]) == {
        "database",
        "cache",
        "disk",
        "task_worker",
        "backup",
        "audit_chain",
    }


def test_cache_failure_is_critical(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis://secret-host:6379")

    monkeypatch.setattr(caches["default"], "set", broken)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"] == {"status": "error", "message": "ConnectionError"}
    assert b"secret-host" not in response.content


def test_disk_nearly_full_is_critical_and_high_usage_a_warning(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    mb = 1024 * 1024
    monkeypatch.setattr(
        health_checks.psutil,
        "disk_usage",
        lambda path: Usage(100_000 * mb, 99_900 * mb, 100 * mb, 99.9),
    )
    response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json()["failing"] == ["disk"]
    assert "磁盘剩余 100 MB" in response.json()["checks"]["disk"]["message"]

    monkeypatch.setattr(
        health_checks.psutil,
        "disk_usage",
        lambda path: Usage(100_000 * mb, 93_000 * mb, 7_000 * mb, 93.0),
    )
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["disk"] == {"status": "warning", "message": "磁盘使用率 93%"}


def test_task_backlog_and_missing_heartbeat_are_warnings() -> None:
    healthy_records()
    assert check("task_worker").status == "ok"
    result = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="jifen.ops.tasks.scheduled_job_task",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        status="READY",
    )
    DBTaskResult.objects.filter(pk=result.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=25)
    )
    outcome = check("task_worker")
    assert outcome.status == "warning" and "已排队 25 分钟" in outcome.message
    DBTaskResult.objects.all().delete()

    ScheduledRun.objects.update(finished=timezone.now() - timedelta(minutes=40))
    outcome = check("task_worker")
    assert outcome.status == "warning" and "40 分钟前" in outcome.message
    ScheduledRun.objects.all().delete()
    assert "尚未完成过定时任务" in check("task_worker").message


def test_old_backup_is_a_warning_with_the_parameter() -> None:
    Backup.objects.create(
        backup_id="OLD", kind="full", engine="sqlite", created=timezone.now() - timedelta(hours=30)
    )
    outcome = check("backup")
    assert outcome.status == "warning" and "30 小时前（阈值 26 小时）" in outcome.message
    parameters.set_parameter(
        actor=None, key="inspect_backup_age_hours_warn", value="48", reason="周末不备份"
    )
    assert check("backup").status == "ok"


def test_audit_chain_check_warns_when_broken_or_stale() -> None:
    assert check("audit_chain").message == "审计链尚未校验"
    ChainVerification.objects.create(at=timezone.now(), from_seq=1, to_seq=9, ok=False)
    assert "未通过（校验至序号 9）" in check("audit_chain").message
    ChainVerification.objects.create(
        at=timezone.now() - timedelta(hours=1), from_seq=9, to_seq=12, ok=True
    )
    ChainVerification.objects.filter(ok=False).delete()
    outcome = check("audit_chain")
    assert outcome.status == "warning" and "60 分钟前" in outcome.message


def test_probe_job_records_probes_and_alerts_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    run = runner.execute(runner.plan("health_probe").pk)
    assert run.ok and run.output.startswith("就绪检查通过")
    probe = HealthProbe.objects.get()
    assert probe.ok and probe.checks["database"]["status"] == "ok"
    assert not Alert.objects.exists()

    mb = 1024 * 1024
    monkeypatch.setattr(
        health_checks.psutil, "disk_usage", lambda path: Usage(100 * mb, 99 * mb, 1 * mb, 99.0)
    )
    failed = record_probe()
    assert not failed.ok and failed.checks["disk"]["status"] == "error"
    alert = Alert.objects.get(code="health_ready")
    assert alert.level == "critical" and alert.message.startswith("就绪检查未通过：磁盘空间")
    assert alert.incident is not None


def _probes(
    start: datetime, count: int, down: set[int] = frozenset(), skip: set[int] = frozenset()
) -> None:
    HealthProbe.objects.bulk_create(
        HealthProbe(at=start + timedelta(minutes=5 * i), ok=i not in down)
        for i in range(count)
        if i not in skip
    )


def test_availability_of_a_clean_day() -> None:
    start = timezone.now() - timedelta(days=3)
    _probes(start, 288)
    result = selectors.availability(start, start + timedelta(days=1))
    assert result["percent_up"] == 100.0
    assert result["probes"] == 288 and result["failed_probes"] == 0
    assert result["outages"] == 0 and result["longest_outage_seconds"] == 0.0
    assert result["longest_outage_start"] is None


def test_availability_counts_a_20_minute_outage_and_a_gap() -> None:
    start = timezone.now() - timedelta(days=3)
    # Probes 100..103 failed (20 minutes); probes 200..211 missing (an hour without data).
    _probes(start, 288, down={100, 101, 102, 103}, skip=set(range(200, 212)))
    result = selectors.availability(start, start + timedelta(days=1))
    assert result["failed_probes"] == 4 and result["probes"] == 276
    assert result["outages"] == 2
    # The gap: probe 199 stands for its 5 minutes, then an hour without data.
    assert result["no_data_seconds"] == 60 * 60
    assert result["longest_outage_seconds"] == 60 * 60
    assert result["longest_outage_start"] == start + timedelta(minutes=1000)
    assert result["down_seconds"] == 20 * 60 + 60 * 60
    assert result["percent_up"] == round((86400 - 80 * 60) / 86400 * 100, 3)


def test_availability_window_is_cut_at_now() -> None:
    now = timezone.now()
    result = selectors.availability(now - timedelta(hours=1), now + timedelta(days=1))
    assert result["end"] <= timezone.now() and result["percent_up"] == 0.0  # no probes at all


def test_monitoring_page_for_operator_and_auditor_not_for_bureau() -> None:
    healthy_records()
    now = timezone.now()
    _probes(now - timedelta(hours=2), 20, down={5})
    ScheduledRun.objects.create(
        job="audit_chain_verify", planned_at=now, finished=now, ok=False, output="Boom: 失败原因"
    )
    operator = staff_client(make_staff(Role.OPERATOR))
    response = operator.get("/ops/monitoring/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="health-now"' in html and "可服务" in html
    assert html.count('class="probe-down" title=') == 1
    assert 'class="row-failed"' in html and "Boom: 失败原因" in html
    assert "审计链增量校验" in html
    assert 'href="/metrics"' in html
    assert 'id="availability-days"' in html
    assert staff_client(make_staff(Role.AUDITOR)).get("/ops/monitoring/").status_code == 200
    assert staff_client(make_staff(Role.BUREAU_ADMIN)).get("/ops/monitoring/").status_code == 403


def test_with_the_database_down_no_other_check_waits_for_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each read would wait for the connection pool's timeout while PostgreSQL is away, and a
    # probe slower than the load balancer's patience holds a server thread for nothing
    # (tests/serving/test_faults_postgres_restart.py).
    from jifen.web import health

    reads: list[str] = []
    monkeypatch.setattr(health, "check_database", lambda: {"status": "error",
                                                           "error": "OperationalError"})
    monkeypatch.setattr(parameters, "get", lambda key: reads.append(key))
    response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json()["failing"] == ["database"]
    assert response.json()["checks"]["disk"]["status"] in ("ok", "warning")
    assert reads == []
