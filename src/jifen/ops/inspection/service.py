"""Running an inspection and keeping its report (巡检报告).

``run_daily`` measures (or takes given measurements), grades them into findings, stores an
:class:`Inspection` with its summary figures, raises one alert per crossed check (which opens
or joins an incident) and records the audit event — the storing, alerts and audit event in one
transaction. ``run_weekly`` is the system-software check; ``run_monthly`` summarises the
month's dailies.
"""

from __future__ import annotations

import os
import platform
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import django
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.ops import parameters
from jifen.ops.alerts import raise_alert
from jifen.ops.models import Alert, Inspection

from . import checks_backup, checks_db, checks_logs, checks_os
from .findings import ABNORMAL, NORMAL, WARNING, Finding, make, rank, worst

INSPECTION_ACTION = "ops.inspection"
ALERT_SOURCE = "inspection"


@dataclass(frozen=True)
class DailyInputs:
    """Everything a daily inspection grades; tests and the demo pass their own."""

    os: checks_os.OsMeasurements
    db: checks_db.DbMeasurements
    logs: checks_logs.LogStats
    logins: checks_logs.LoginStats
    backups: checks_backup.BackupMeasurements


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_period(day: date | None, now: datetime) -> tuple[datetime, datetime, date]:
    """The period whose logs a daily inspection reads: ``day`` (00:00–24:00, Beijing time)
    when given, else the 24 hours before ``now``; and the day the inspection counts for."""
    if day is None:
        return now - timedelta(days=1), now, timezone.localdate(now)
    start = _local_midnight(day)
    return start, _local_midnight(day + timedelta(days=1)), day


def _previous_daily() -> Inspection | None:
    return Inspection.objects.filter(kind=Inspection.Kind.DAILY).order_by("-created").first()


def measure_daily(start: datetime, end: datetime, now: datetime) -> DailyInputs:
    previous = _previous_daily()
    prev_deadlocks = previous.summary.get("db_deadlocks_total") if previous else None
    return DailyInputs(
        os=checks_os.measure_os(),
        db=checks_db.measure_db(prev_deadlocks),
        logs=checks_logs.read_access_log(start, end),
        logins=checks_logs.read_logins(start, end),
        backups=checks_backup.measure_backups(now),
    )


def grade_daily(inputs: DailyInputs) -> list[Finding]:
    return [
        *checks_os.check_os(inputs.os),
        *checks_db.check_db(inputs.db),
        *checks_logs.check_logs(inputs.logs, inputs.logins),
        *checks_backup.check_backups(inputs.backups),
    ]


def _daily_summary(inputs: DailyInputs, day: date) -> dict[str, Any]:
    disk = inputs.os.disks[0] if inputs.os.disks else None
    return {
        "day": day.isoformat(),
        "database_bytes": inputs.db.size_bytes,
        "database_vendor": inputs.db.vendor,
        "disk_used_percent": disk.percent if disk else None,
        "disk_used_bytes": disk.used_bytes if disk else None,
        "disk_total_bytes": disk.total_bytes if disk else None,
        "cpu_percent": inputs.os.cpu_percent,
        "memory_percent": inputs.os.memory_percent,
        "requests": inputs.logs.requests,
        "errors_4xx": inputs.logs.status_4xx,
        "errors_5xx": inputs.logs.status_5xx,
        "slow_requests": inputs.logs.slow,
        "access_log_found": inputs.logs.found,
        "logins": inputs.logins.logins,
        "login_failures": inputs.logins.failures,
        "lockouts": inputs.logins.lockouts,
        "unusual_logins": inputs.logins.unusual_hours,
        "db_deadlocks_total": inputs.db.deadlocks_total,
    }


def counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    tally = Counter(f["status"] for f in findings)
    return {s: tally.get(s, 0) for s in (NORMAL, WARNING, ABNORMAL)}


KIND_ALERT_PREFIX = {
    Inspection.Kind.DAILY: "inspect",
    Inspection.Kind.WEEKLY: "inspect_weekly",
}


@transaction.atomic
def _store(
    *,
    kind: str,
    actor: Any,
    start: datetime,
    end: datetime,
    now: datetime,
    findings: list[Finding],
    summary: dict[str, Any],
    alert: bool,
) -> Inspection:
    rows = [f.as_dict() for f in findings]
    status = worst(f.status for f in findings)
    summary = {**summary, "counts": counts(rows)}
    inspection = Inspection.objects.create(
        kind=kind,
        period_start=start,
        period_end=end,
        created=now,
        status=status,
        findings=rows,
        summary=summary,
        actor=actor,
    )
    raised = 0
    if alert and kind in KIND_ALERT_PREFIX:
        label = Inspection.Kind(kind).label
        for f in findings:
            if f.status == NORMAL:
                continue
            value = "无" if f.value is None else f"{f.value}{f.unit}"
            message = f"{label}发现{f.name}{f.status}：{value}（阈值：{f.threshold}）"
            if f.note:
                message += f"\n{f.note}"
            raise_alert(
                source=ALERT_SOURCE,
                code=f"{KIND_ALERT_PREFIX[kind]}_{f.code}",
                level=Alert.Level.CRITICAL if f.status == ABNORMAL else Alert.Level.WARNING,
                message=message,
                details={"inspection": inspection.pk, "value": f.value, "threshold": f.threshold},
                at=now,
            )
            raised += 1
    inspection.summary["alerts_raised"] = raised
    inspection.save(update_fields=["summary"])
    record_event(
        actor=actor,
        action=INSPECTION_ACTION,
        target=inspection,
        after={"kind": kind, "status": status, "counts": summary["counts"], "alerts": raised},
    )
    return inspection


def run_daily(
    *,
    actor: Any = None,
    day: date | None = None,
    inputs: DailyInputs | None = None,
    now: datetime | None = None,
    alert: bool = True,
) -> Inspection:
    """The daily inspection (日常巡检) of ``day``'s logs (default: the last 24 hours)."""
    now = now or timezone.now()
    start, end, counted_day = daily_period(day, now)
    if inputs is None:
        inputs = measure_daily(start, end, now)
    return _store(
        kind=Inspection.Kind.DAILY,
        actor=actor,
        start=start,
        end=end,
        now=now,
        findings=grade_daily(inputs),
        summary=_daily_summary(inputs, counted_day),
        alert=alert,
    )


# ---- weekly: system software -------------------------------------------------------------

SOFTWARE = "系统软件"


def _db_server_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def pending_migrations() -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def deploy_check_issues() -> list[str]:
    """``manage.py check --deploy`` in this process, with the running settings."""
    from django.core import checks

    issues = checks.run_checks(include_deployment_checks=True)
    return [f"{i.id}" for i in issues if i.level >= checks.WARNING and not i.is_silenced()]


def key_problems() -> list[str]:
    """The secrets the production settings need, as configured here."""
    problems = []
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if not key or key.startswith("django-insecure") or len(key) < 50:
        problems.append("SECRET_KEY 为开发默认值或过短")

    for name in ("FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY"):
        if not os.environ.get(name):
            problems.append(f"{name} 未单独配置（由 SECRET_KEY 派生）")
    return problems


def certificate_days_left(path: str, now: datetime) -> float:
    """Days until the PEM certificate at ``path`` expires (negative: expired)."""
    from cryptography import x509

    with open(path, "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    return round((cert.not_valid_after_utc - now).total_seconds() / 86400, 1)


def certificate_finding(now: datetime) -> Finding:
    """The TLS certificate named by ``JIFEN_TLS_CERT`` (when this machine holds it; behind a
    TLS-terminating proxy there is none to check here)."""
    warn = parameters.get("inspect_certificate_days_warn")
    path = os.environ.get("JIFEN_TLS_CERT", "")
    if not path:
        return Finding(
            SOFTWARE,
            "certificate",
            "TLS 证书剩余有效期",
            None,
            f"少于 {warn} 天警告；已过期异常",
            NORMAL,
            unit=" 天",
            note="未配置 JIFEN_TLS_CERT（由反向代理终止 HTTPS）",
        )
    try:
        days = certificate_days_left(path, now)
    except (OSError, ValueError) as exc:
        return Finding(
            SOFTWARE,
            "certificate",
            "TLS 证书剩余有效期",
            None,
            f"少于 {warn} 天警告；已过期异常",
            ABNORMAL,
            unit=" 天",
            note=f"无法读取证书 {path}：{type(exc).__name__}",
        )
    status = ABNORMAL if days <= 0 else WARNING if days < warn else NORMAL
    return Finding(
        SOFTWARE,
        "certificate",
        "TLS 证书剩余有效期",
        days,
        f"少于 {warn} 天警告；已过期异常",
        status,
        unit=" 天",
        note=path,
    )


def _dailies(start: datetime, end: datetime) -> dict[str, Inspection]:
    """The latest daily inspection of each day in ``[start, end)``, by ISO day."""
    first, last = timezone.localdate(start), timezone.localdate(end - timedelta(microseconds=1))
    rows = Inspection.objects.filter(
        kind=Inspection.Kind.DAILY,
        period_end__gte=start - timedelta(days=1),
        period_start__lt=end + timedelta(days=1),
    ).order_by("created", "id")
    by_day: dict[str, Inspection] = {}
    for row in rows:
        day = row.summary.get("day")
        if day and first.isoformat() <= day <= last.isoformat():
            by_day[day] = row  # the later one of a day wins
    return dict(sorted(by_day.items()))


def _days(start: datetime, end: datetime, now: datetime) -> list[str]:
    last = min(timezone.localdate(end - timedelta(microseconds=1)), timezone.localdate(now))
    day, out = timezone.localdate(start), []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def _statuses_finding(
    code: str, name: str, dailies: dict[str, Inspection], expected: list[str]
) -> Finding:
    tally = Counter(d.status for d in dailies.values())
    missing = [d for d in expected if d not in dailies]
    text = "，".join(f"{s} {tally.get(s, 0)} 天" for s in (NORMAL, WARNING, ABNORMAL))
    status = NORMAL
    if missing or tally.get(WARNING) or tally.get(ABNORMAL):
        status = WARNING
    note = f"应巡检 {len(expected)} 天，已巡检 {len(dailies)} 天"
    if missing:
        note += f"；缺 {len(missing)} 天：{'、'.join(missing[:10])}"
    return Finding("汇总", code, name, text, "有缺巡或非正常结论即警告", status, note=note)


def run_weekly(
    *,
    actor: Any = None,
    day: date | None = None,
    now: datetime | None = None,
    alert: bool = True,
) -> Inspection:
    """The weekly system-software check (系统软件周检) of the 7 days up to ``day`` (default
    today)."""
    now = now or timezone.now()
    last = day or timezone.localdate(now)
    start, end = _local_midnight(last - timedelta(days=6)), _local_midnight(last + timedelta(1))
    pending = pending_migrations()
    issues = deploy_check_issues()
    keys = key_problems()
    dailies = _dailies(start, end)
    findings = [
        Finding(
            SOFTWARE,
            "python",
            "Python 版本",
            platform.python_version(),
            "仅登记",
            NORMAL,
            note=sys.version.split()[0],
        ),
        Finding(SOFTWARE, "django", "Django 版本", django.get_version(), "仅登记", NORMAL),
        Finding(SOFTWARE, "db_server", "数据库服务器版本", _db_server_version(), "仅登记", NORMAL),
        Finding(
            SOFTWARE,
            "migrations",
            "未执行的数据库迁移",
            len(pending),
            "≥ 1 个警告",
            WARNING if pending else NORMAL,
            unit=" 个",
            note="、".join(pending[:10]),
        ),
        Finding(
            SOFTWARE,
            "deploy_checks",
            "部署检查（check --deploy）问题",
            len(issues),
            "≥ 1 项警告",
            WARNING if issues else NORMAL,
            unit=" 项",
            note="、".join(issues[:15]),
        ),
        Finding(
            SOFTWARE,
            "secrets",
            "密钥配置",
            "已配置" if not keys else "待完善",
            "生产环境须单独配置各密钥",
            WARNING if keys else NORMAL,
            note="；".join(keys),
        ),
        certificate_finding(now),
    ]
    growth_note, growth = "", None
    with_disk = [d for d in dailies.values() if d.summary.get("disk_used_percent") is not None]
    if len(with_disk) >= 2:
        first, latest = with_disk[0].summary, with_disk[-1].summary
        growth = round(latest["disk_used_percent"] - first["disk_used_percent"], 1)
        growth_note = (
            f"{first['day']} {first['disk_used_percent']}% → "
            f"{latest['day']} {latest['disk_used_percent']}%"
        )
    warn = parameters.get("inspect_disk_growth_points_week_warn")
    if growth is None:
        findings.append(
            Finding(
                SOFTWARE,
                "disk_growth",
                "磁盘使用率周增长",
                None,
                f"≥ {warn} 个百分点警告",
                NORMAL,
                unit=" 个百分点",
                note="本周日常巡检不足两天，无法计算",
            )
        )
    else:
        findings.append(
            make(
                SOFTWARE,
                "disk_growth",
                "磁盘使用率周增长",
                growth,
                unit=" 个百分点",
                warn=warn,
                note=growth_note,
            )
        )
    findings.append(
        _statuses_finding("week_dailies", "本周日常巡检结论", dailies, _days(start, end, now))
    )
    summary = {
        "day": last.isoformat(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database_server": _db_server_version(),
        "pending_migrations": pending,
        "deploy_issues": issues,
        "disk_growth_points": growth,
        "dailies": {day: d.status for day, d in dailies.items()},
    }
    return _store(
        kind=Inspection.Kind.WEEKLY,
        actor=actor,
        start=start,
        end=end,
        now=now,
        findings=findings,
        summary=summary,
        alert=alert,
    )


# ---- monthly summary ------------------------------------------------------------------------


def month_bounds(any_day: date) -> tuple[datetime, datetime]:
    first = any_day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _local_midnight(first), _local_midnight(following)


def _worst_finding(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def key(row: dict[str, Any]) -> tuple[int, float]:
        value = row.get("value")
        number = float(value) if isinstance(value, int | float) else float("-inf")
        return rank(row["status"]), number

    return max(rows, key=key)


def run_monthly(
    *, actor: Any = None, month: date | None = None, now: datetime | None = None
) -> Inspection:
    """The monthly inspection summary (月度巡检汇总) of the month of ``month`` (default: the
    month before ``now``'s, as the job runs on the 1st)."""
    now = now or timezone.now()
    if month is None:
        month = timezone.localdate(now).replace(day=1) - timedelta(days=1)
    start, end = month_bounds(month)
    dailies = _dailies(start, end)
    expected = _days(start, end, now)
    findings = [_statuses_finding("month_dailies", "本月日常巡检结论", dailies, expected)]
    by_code: dict[str, list[dict[str, Any]]] = {}
    for daily in dailies.values():
        for row in daily.findings:
            by_code.setdefault(row["code"], []).append({**row, "day": daily.summary["day"]})
    for rows in by_code.values():
        bad = _worst_finding(rows)
        tally = Counter(r["status"] for r in rows)
        note = (
            f"最差出现于 {bad['day']}；警告 {tally.get(WARNING, 0)} 天，"
            f"异常 {tally.get(ABNORMAL, 0)} 天"
        )
        findings.append(
            Finding(
                bad["group"],
                bad["code"],
                f"{bad['name']}（本月最差）",
                bad["value"],
                bad["threshold"],
                bad["status"],
                unit=bad.get("unit", ""),
                note=note,
            )
        )
    alerts = Alert.objects.filter(source=ALERT_SOURCE, raised_at__gte=start, raised_at__lt=end)
    alert_count = alerts.count()
    incident_count = alerts.exclude(incident=None).values("incident").distinct().count()
    findings.append(
        Finding(
            "汇总",
            "alerts",
            "巡检告警及故障",
            alert_count,
            "仅统计",
            NORMAL,
            unit=" 条",
            note=f"涉及故障单 {incident_count} 张",
        )
    )
    trend = [
        {
            "day": day,
            "database_bytes": d.summary.get("database_bytes"),
            "disk_used_percent": d.summary.get("disk_used_percent"),
            "disk_used_bytes": d.summary.get("disk_used_bytes"),
        }
        for day, d in dailies.items()
    ]
    tally = Counter(d.status for d in dailies.values())
    last = trend[-1] if trend else {}
    summary = {
        "month": start.astimezone(timezone.get_current_timezone()).strftime("%Y-%m"),
        "days_expected": len(expected),
        "days_inspected": len(dailies),
        "days_missing": [d for d in expected if d not in dailies],
        "statuses": {s: tally.get(s, 0) for s in (NORMAL, WARNING, ABNORMAL)},
        "alerts": alert_count,
        "incidents": incident_count,
        "trend": trend,
        "database_bytes": last.get("database_bytes"),
        "disk_used_percent": last.get("disk_used_percent"),
        "disk_used_bytes": last.get("disk_used_bytes"),
        "requests": sum(d.summary.get("requests", 0) or 0 for d in dailies.values()),
        "errors_5xx": sum(d.summary.get("errors_5xx", 0) or 0 for d in dailies.values()),
        "login_failures": sum(d.summary.get("login_failures", 0) or 0 for d in dailies.values()),
    }
    return _store(
        kind=Inspection.Kind.MONTHLY,
        actor=actor,
        start=start,
        end=end,
        now=now,
        findings=findings,
        summary=summary,
        alert=False,
    )
