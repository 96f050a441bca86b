"""The schedule (定时任务): which job runs when, as cron expressions in Beijing time.

``manage.py run_scheduler`` (started by ``make run`` beside the task worker) fires each job at
its times through APScheduler's cron trigger and *enqueues* it on the task framework; the
worker (``manage.py task_worker``) runs it and the outcome is kept as a :class:`ScheduledRun`.
A job is a plain function without arguments returning a short text (its summary); it may raise
on failure. ``manage.py run_scheduler --run NAME`` runs one job now, in the foreground.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # minute hour day month weekday, as cron has them (0 or 7 = Sunday)
    func: str  # "module.path:function"
    label: str


# Add a job here with the function it runs; keep the names stable (they are in the records).
JOBS: tuple[Job, ...] = (
    Job("audit_checkpoint", "5 * * * *", "jifen.ops.jobs:audit_checkpoint", "审计链外部锚定"),
    Job(
        "complaint_escalation",
        "15 * * * *",
        "jifen.ops.complaints:escalation_job",
        "超期投诉升级",
    ),
    Job("cmdb_discover", "20 3 * * *", "jifen.ops.cmdb:discover_job", "配置管理数据库自动登记"),
    Job("inspection_daily", "30 7 * * *", "jifen.ops.inspection.jobs:daily", "日常巡检"),
    Job("inspection_weekly", "0 8 * * 1", "jifen.ops.inspection.jobs:weekly", "系统软件周检"),
    Job("inspection_monthly", "0 9 1 * *", "jifen.ops.inspection.jobs:monthly", "月度巡检汇总"),
    # ---- monitoring (系统监测) ----
    Job("health_probe", "*/5 * * * *", "jifen.ops.probes:probe_job", "可用性探测"),
    Job(
        "audit_chain_verify", "*/10 * * * *", "jifen.ops.verification:verify_job", "审计链增量校验"
    ),
    Job(
        "audit_chain_verify_full",
        "40 3 * * 0",
        "jifen.ops.verification:verify_full_job",
        "审计链每周全量校验",
    ),
    Job("rotate_logs", "0 0 * * *", "jifen.ops.jobs:rotate_logs", "日志轮转与过期清理"),
    # reports (运维报告): the month's on the 1st, the quarter's on the quarter's first day
    Job(
        "report_monthly",
        "30 6 1 * *",
        "jifen.ops.reports.services:monthly_inspection_report",
        "生成上月运维巡检月报",
    ),
    Job(
        "report_quarterly",
        "0 7 1 1,4,7,10 *",
        "jifen.ops.reports.services:quarterly_report",
        "生成上季度运维报告",
    ),
    # Backups (jifen.ops.backups): weekday names, not numbers (APScheduler counts 0 as Monday).
    Job("backup_full", "0 2 * * sun", "jifen.ops.backups.jobs:backup_full", "每周全量备份"),
    Job(
        "backup_incremental",
        "0 2 * * mon-sat",
        "jifen.ops.backups.jobs:backup_incremental",
        "每日增量备份",
    ),
    Job("backup_drill", "30 3 1 * *", "jifen.ops.backups.jobs:backup_drill", "每月恢复演练"),
    # Personal data's life cycle (jifen.privacy.retention): expired data deleted or anonymised.
    Job(
        "expire_personal_data",
        "45 1 * * *",
        "jifen.privacy.retention:retention_job",
        "个人信息到期删除与匿名化",
    ),
)


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_names(field: str) -> str:
    """A cron weekday field with its numbers as names: cron counts 0 (and 7) as Sunday,
    APScheduler's CronTrigger 0 as Monday, so "1" would fire on Tuesdays; names mean the same
    to both ("1-5" → "mon-fri"; a step after "/" stays a number)."""
    parts = []
    for part in field.split(","):
        base, slash, step = part.partition("/")
        base = re.sub(r"\d+", lambda m: _DAY_NAMES[int(m.group())], base)
        parts.append(base + slash + step)
    return ",".join(parts)


def trigger(item: Job, timezone: str) -> CronTrigger:
    """The job's cron trigger, its times in ``timezone`` (cron's weekday numbering)."""
    minute, hour, day, month, weekday = item.cron.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_names(weekday),
        timezone=timezone,
    )


def job(name: str) -> Job:
    for item in JOBS:
        if item.name == name:
            return item
    raise KeyError(name)
