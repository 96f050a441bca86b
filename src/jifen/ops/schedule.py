"""The schedule (定时任务): which job runs when, as cron expressions in Beijing time.

``manage.py run_scheduler`` (started by ``make run`` beside the task worker) fires each job at
its times through APScheduler's cron trigger and *enqueues* it on the task framework; the
worker (``manage.py db_worker``) runs it and the outcome is kept as a :class:`ScheduledRun`.
A job is a plain function without arguments returning a short text (its summary); it may raise
on failure. ``manage.py run_scheduler --run NAME`` runs one job now, in the foreground.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    cron: str  # minute hour day month weekday (APScheduler's CronTrigger.from_crontab)
    func: str  # "module.path:function"
    label: str


# Add a job here with the function it runs; keep the names stable (they are in the records).
JOBS: tuple[Job, ...] = (
    Job("audit_checkpoint", "5 * * * *", "jifen.ops.jobs:audit_checkpoint", "审计链外部锚定"),
    # Backups (jifen.ops.backups): weekday names, not numbers (APScheduler counts 0 as Monday).
    Job("backup_full", "0 2 * * sun", "jifen.ops.backups.jobs:backup_full", "每周全量备份"),
    Job(
        "backup_incremental",
        "0 2 * * mon-sat",
        "jifen.ops.backups.jobs:backup_incremental",
        "每日增量备份",
    ),
    Job("backup_drill", "30 3 1 * *", "jifen.ops.backups.jobs:backup_drill", "每月恢复演练"),
)


def job(name: str) -> Job:
    for item in JOBS:
        if item.name == name:
            return item
    raise KeyError(name)
