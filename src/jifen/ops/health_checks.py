"""The readiness checks (/healthz/ready, the health probes, the console), on django-health-check.

Each check is a django-health-check :class:`~health_check.base.HealthCheck` whose ``run()``
raises ``ServiceUnavailable`` (the check failed) or ``ServiceWarning`` (it works, but someone
should look). They run in the calling thread, one after the other (they are cheap: one query
or one system call each), so that they see the request's own database connection.

What makes /healthz/ready answer 503 — the *critical* checks, those without which requests
cannot be served correctly:

* ``database`` — a trivial query;
* ``cache`` — set and read back a key (login throttles and lock-outs live in the cache);
* ``disk`` — free space below ``health_disk_free_mb_critical`` (nothing can be written).

Everything else is reported (status ``warning``) but keeps 200, since taking the server out of
a load balancer would not mend it: disk usage above ``health_disk_percent_warn``, the task
worker (ready tasks waiting longer than ``health_task_backlog_minutes``; no scheduled run
finished within ``health_worker_heartbeat_minutes`` — the worker runs the scheduler's jobs, the
probe every 5 minutes, so a finished run is its heartbeat), the last backup older than
``inspect_backup_age_hours_warn``, and the audit chain's last verification (failed, or older
than ``health_chain_verification_minutes``).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any, ClassVar

import psutil
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from . import parameters, selectors
from .models import ScheduledRun

OK, WARNING, ERROR = "ok", "warning", "error"


def _param(key: str, database_down: bool = False) -> Any:
    """A parameter, or its default when the database cannot be read (the disk check must
    still answer then). ``database_down``: the database check failed already, so the default
    at once — each attempt would wait for the pool's timeout, and a probe that takes longer than
    the load balancer waits holds a server thread for nothing."""
    if database_down:
        return parameters.specs()[key].default
    try:
        return parameters.get(key)
    except DatabaseError:
        return parameters.specs()[key].default


@dataclasses.dataclass
class JifenCheck(HealthCheck):
    """A check of ours: a stable ``name`` (the JSON key), a Chinese label, critical or not."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    critical: ClassVar[bool] = False
    # Set by run_checks when the database check failed before this one.
    database_down: bool = False

    def run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclasses.dataclass
class DatabaseCheck(JifenCheck):
    name = "database"
    label = "数据库"
    critical = True

    def run(self) -> None:
        from jifen.web.health import check_database

        result = check_database()
        if result["status"] != "ok":
            # The error's type only: connection errors can name hosts and users.
            raise ServiceUnavailable(result.get("error", "error"))


@dataclasses.dataclass
class CacheCheck(JifenCheck):
    name = "cache"
    label = "缓存"
    critical = True

    def run(self) -> None:
        cache = caches["default"]
        key = f"jifen:health:{uuid.uuid4().hex}"
        try:
            cache.set(key, "ok", timeout=10)
            value = cache.get(key)
            cache.delete(key)
        except Exception as exc:  # any backend error means the cache is not usable
            raise ServiceUnavailable(type(exc).__name__) from exc
        if value != "ok":
            raise ServiceUnavailable("缓存写入后读不回")


@dataclasses.dataclass
class DiskCheck(JifenCheck):
    name = "disk"
    label = "磁盘空间"
    critical = True

    def run(self) -> None:
        usage = psutil.disk_usage(str(settings.VAR_DIR if settings.VAR_DIR.exists() else "/"))
        free_mb = usage.free / 1024 / 1024
        if free_mb < _param("health_disk_free_mb_critical", self.database_down):
            raise ServiceUnavailable(f"磁盘剩余 {free_mb:.0f} MB，低于下限")
        if usage.percent >= _param("health_disk_percent_warn", self.database_down):
            raise ServiceWarning(f"磁盘使用率 {usage.percent:.0f}%")


def oldest_ready_task_age(now: Any = None) -> float | None:
    """Seconds the oldest task ready to run has waited (None when none waits)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    oldest = (
        DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True)
    ).first()
    return None if oldest is None else (now - oldest).total_seconds()


def last_heartbeat() -> Any:
    """When the task worker last finished a scheduled job (None when never)."""
    return (
        ScheduledRun.objects.filter(finished__isnull=False)
        .order_by("-finished")
        .values_list("finished", flat=True)
        .first()
    )


@dataclasses.dataclass
class TaskWorkerCheck(JifenCheck):
    name = "task_worker"
    label = "后台任务进程"

    def run(self) -> None:
        now = timezone.now()
        age = oldest_ready_task_age(now)
        limit = parameters.get("health_task_backlog_minutes")
        if age is not None and age > limit * 60:
            raise ServiceWarning(f"有后台任务已排队 {age / 60:.0f} 分钟（阈值 {limit} 分钟）")
        beat = last_heartbeat()
        beat_limit = parameters.get("health_worker_heartbeat_minutes")
        if beat is None:
            raise ServiceWarning("任务进程尚未完成过定时任务（任务进程或调度进程未运行？）")
        minutes = (now - beat).total_seconds() / 60
        if minutes > beat_limit:
            raise ServiceWarning(
                f"任务进程最近一次完成定时任务在 {minutes:.0f} 分钟前（阈值 {beat_limit} 分钟）"
            )


@dataclasses.dataclass
class BackupCheck(JifenCheck):
    name = "backup"
    label = "最近一次备份"

    def run(self) -> None:
        backup = selectors.latest_backup()
        if backup is None:
            raise ServiceWarning("尚无备份")
        hours = (timezone.now() - backup.created).total_seconds() / 3600
        limit = parameters.get("inspect_backup_age_hours_warn")
        if hours > limit:
            raise ServiceWarning(f"最近一次备份在 {hours:.0f} 小时前（阈值 {limit} 小时）")


@dataclasses.dataclass
class AuditChainCheck(JifenCheck):
    name = "audit_chain"
    label = "审计链校验"

    def run(self) -> None:
        verification = selectors.latest_chain_verification()
        if verification is None:
            raise ServiceWarning("审计链尚未校验")
        if not verification.ok:
            raise ServiceWarning(f"审计链校验未通过（校验至序号 {verification.to_seq}）")
        minutes = (timezone.now() - verification.at).total_seconds() / 60
        limit = parameters.get("health_chain_verification_minutes")
        if minutes > limit:
            raise ServiceWarning(f"审计链最近一次校验在 {minutes:.0f} 分钟前（阈值 {limit} 分钟）")


CHECKS: tuple[type[JifenCheck], ...] = (
    DatabaseCheck,
    CacheCheck,
    DiskCheck,
    TaskWorkerCheck,
    BackupCheck,
    AuditChainCheck,
)
# Checks that need the database are skipped (reported as errors) when the database is down.
_NEEDS_DATABASE = {"task_worker", "backup", "audit_chain"}


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    label: str
    critical: bool
    status: str  # ok | warning | error
    message: str = ""
    ms: int = 0

    def as_json(self, *, detail: bool = True) -> dict[str, Any]:
        """The /healthz/ready form: ``{"status": ...}`` plus ``error`` or ``message`` (with
        ``detail``: for this machine and operators only)."""
        if self.status == OK or not detail:
            return {"status": self.status}
        if self.name == "database":
            return {"status": self.status, "error": self.message}
        return {"status": self.status, "message": self.message}


@dataclasses.dataclass(frozen=True)
class Readiness:
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """No critical check failed (warnings allowed)."""
        return not self.failing

    @property
    def failing(self) -> list[str]:
        return [r.name for r in self.results if r.status == ERROR and r.critical]

    @property
    def warnings(self) -> list[str]:
        return [r.name for r in self.results if r.status != OK and r.name not in self.failing]

    def as_json(self, *, detail: bool = True) -> dict[str, Any]:
        """The body of /healthz/ready (see docs/operations.md). Without ``detail`` each check
        gives its status only: its message (a backup's age, an error's type) tells an outsider
        more about the system than a load balancer needs (等保 8.1.4.5 入侵防范)."""
        return {
            "status": OK if self.ok else ERROR,
            "checks": {r.name: r.as_json(detail=detail) for r in self.results},
            "failing": self.failing,
            "warnings": self.warnings,
        }


def _run_one(check: JifenCheck) -> CheckResult:
    started = time.perf_counter()
    status, message = OK, ""
    try:
        check.run()
    except ServiceWarning as exc:
        status, message = WARNING, str(exc.message)
    except HealthCheckException as exc:
        status, message = ERROR, str(exc.message)
    except Exception as exc:  # an unexpected failure of the check itself
        import logging

        logging.getLogger(__name__).exception("health check %s failed", check.name)
        status = ERROR if check.critical else WARNING
        message = f"检查本身出错（{type(exc).__name__}）"
    ms = int((time.perf_counter() - started) * 1000)
    return CheckResult(check.name, check.label, check.critical, status, message, ms)


def run_checks() -> Readiness:
    """Run every readiness check, in order, in this thread."""
    results: list[CheckResult] = []
    database_down = False
    for cls in CHECKS:
        if database_down and cls.name in _NEEDS_DATABASE:
            results.append(
                CheckResult(cls.name, cls.label, cls.critical, WARNING, "数据库不可用，未检查")
            )
            continue
        result = _run_one(cls(database_down=database_down))
        database_down = database_down or (cls.name == "database" and result.status != OK)
        results.append(result)
    return Readiness(tuple(results))
