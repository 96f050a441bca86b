"""The demo's inspection records (巡检): a month of daily inspections, the month's weekly
system-software checks and its monthly summary — made by the real inspection code from
synthetic measurements (no machine is measured, no log is read), so they are quick and the
same on every machine. Two days have warnings, one is 异常 and opened an incident."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from jifen.ops.inspection import checks_backup, checks_db, checks_logs, checks_os
from jifen.ops.inspection.service import DailyInputs, run_daily, run_monthly, run_weekly

GB = 2**30
# Day of the month → what went wrong that day.
WARNING_DAYS = {9: "disk", 21: "slow"}
ABNORMAL_DAY = 15  # a burst of 5xx responses


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _inputs(rng: random.Random, n: int, day: date) -> DailyInputs:
    disk = round(61.0 + n * 0.35 + rng.uniform(-0.3, 0.3), 1)
    trouble = WARNING_DAYS.get(day.day)
    if trouble == "disk":
        disk = 81.2
    requests = rng.randint(18_000, 26_000) if day.weekday() < 5 else rng.randint(2_000, 5_000)
    errors_5xx = rng.randint(0, 8)
    slow = int(requests * rng.uniform(0.001, 0.01))
    if day.day == ABNORMAL_DAY:
        errors_5xx = int(requests * 0.063)
    if trouble == "slow":
        slow = int(requests * 0.061)
    return DailyInputs(
        os=checks_os.OsMeasurements(
            cpu_percent=round(rng.uniform(8, 35), 1),
            memory_percent=round(rng.uniform(45, 62), 1),
            load_15=round(rng.uniform(0.4, 2.2), 2),
            cpu_count=8,
            disks=[
                checks_os.Disk(
                    "数据目录", "/srv/jifen/var", 500 * GB, int(500 * GB * disk / 100), disk
                )
            ],
        ),
        db=checks_db.DbMeasurements(
            vendor="postgresql",
            size_bytes=int((18.4 + n * 0.06) * GB),
            connections=rng.randint(12, 40),
            connections_by_state={"active": rng.randint(1, 6), "idle": rng.randint(10, 30)},
            commits=1_000_000 + n * 40_000,
            rollbacks=2_000 + n * 90,
        ),
        logs=checks_logs.LogStats(
            files=["access.log.1", "access.log"],
            requests=requests,
            status_4xx=int(requests * rng.uniform(0.01, 0.04)),
            status_5xx=errors_5xx,
            slow=slow,
            slowest_ms=rng.uniform(3000, 9000),
        ),
        logins=checks_logs.LoginStats(
            logins=rng.randint(150, 400) if day.weekday() < 5 else rng.randint(5, 30),
            failures=rng.randint(2, 30),
            lockouts=rng.randint(0, 2),
        ),
        backups=checks_backup.BackupMeasurements(
            backup_age_hours=round(rng.uniform(4.5, 6.5), 1),
            drill_age_days=float(10 + n),
            drill_ok=True,
            chain_age_hours=round(rng.uniform(0.2, 1.0), 1),
            chain_ok=True,
        ),
    )


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    """The previous month's dailies (07:30), its Mondays' weekly checks (08:00, the last
    four) and its summary (the 1st of this month, 09:00)."""
    rng = random.Random(20261130)
    this_month = timezone.localdate(now).replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    day, n = last_month, 0
    while day < this_month:
        # As the 07:30 job does it: the 24 hours before, counted for that day.
        run_daily(inputs=_inputs(rng, n, day), now=_at(day, 7, 30), actor=None)
        day, n = day + timedelta(days=1), n + 1
    mondays = [
        last_month + timedelta(days=k)
        for k in range(n)
        if (last_month + timedelta(days=k)).weekday() == 0
    ][-4:]
    for monday in mondays:
        run_weekly(day=monday, now=_at(monday, 8, 0), alert=False)
    run_monthly(month=last_month, now=_at(this_month, 9, 0), actor=operator)
    _handle_the_month_s_incidents(operator)
    say(
        f"  inspections: {n} daily, {len(mondays)} weekly, the monthly summary of "
        f"{last_month:%Y-%m}"
    )


# How the operator handled what the inspections found (by the alert's check), in minutes after
# the 07:30 alert: responded, analysed, acted, resolved, closed.
HANDLING = {
    "disk": (
        "数据目录所在磁盘使用率超过 80%：近期导入的申报材料与日志增长较快。",
        "清理 90 天前的已轮转日志并迁移历史导出文件至归档存储，使用率降至 68%。",
    ),
    "slow": (
        "慢请求集中在统计分析页面，原因是月末集中查询导致数据库统计视图未命中索引。",
        "为统计查询补充索引并开启结果缓存，复查慢请求占比降至 0.4%。",
    ),
    "5xx": (
        "前一日 21:00 发布后，申报接口连接池配置错误，部分请求返回 502。",
        "回滚连接池配置并重启应用进程，错误率恢复正常；补充发布检查清单。",
    ),
}


def _handle_the_month_s_incidents(operator: Any) -> None:
    """The incidents the inspections opened, handled and closed as an operator would have."""
    from jifen.ops import incidents
    from jifen.ops.models import Incident

    opened = Incident.objects.filter(
        title__startswith="日常巡检发现", status=Incident.Status.OPEN
    ).order_by("reported_at")
    for ticket in opened:
        title = ticket.title
        key = "disk" if "磁盘" in title else "slow" if "慢请求" in title else "5xx"
        analysis, actions = HANDLING[key]
        at = ticket.reported_at
        incidents.respond(actor=operator, incident_id=ticket.pk, at=at + timedelta(minutes=18))
        incidents.record_analysis(
            actor=operator, incident_id=ticket.pk, analysis=analysis, at=at + timedelta(minutes=55)
        )
        incidents.record_actions(
            actor=operator,
            incident_id=ticket.pk,
            actions=actions,
            at=at + timedelta(hours=2, minutes=10),
        )
        incidents.resolve(actor=operator, incident_id=ticket.pk, at=at + timedelta(hours=3))
        incidents.close(actor=operator, incident_id=ticket.pk, at=at + timedelta(hours=4))
