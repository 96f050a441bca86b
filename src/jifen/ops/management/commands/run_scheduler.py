"""``manage.py run_scheduler``: fire the scheduled jobs (jifen.ops.schedule) at their times.

Each firing is recorded and enqueued on the task framework; the task worker runs it.
  --list        print the jobs with their next times and exit
  --run NAME    run one job now in the foreground (prints its outcome as JSON on the last line)
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jifen.ops import runner
from jifen.ops.schedule import JOBS
from jifen.ops.schedule import trigger as schedule_trigger
from jifen.ops.tasks import scheduled_job_task


def _fire(name: str) -> None:
    run = runner.plan(name)
    scheduled_job_task.enqueue(run.pk)


class Command(BaseCommand):
    help = "按计划触发定时任务（日常巡检、备份、审计链校验等），交由任务进程执行"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="列出定时任务及下次运行时间")
        parser.add_argument("--run", metavar="NAME", help="立即在前台运行一个定时任务")

    def handle(self, *args: Any, **options: Any) -> None:
        tz = settings.TIME_ZONE
        if options["list"]:
            now = timezone.localtime()
            for job in JOBS:
                trigger = schedule_trigger(job, tz)
                nxt = trigger.get_next_fire_time(None, now)
                self.stdout.write(f"{job.name}\t{job.cron}\t{nxt:%Y-%m-%d %H:%M}\t{job.label}")
            return
        if options["run"]:
            name = options["run"]
            if name not in {job.name for job in JOBS}:
                raise CommandError(f"没有名为“{name}”的定时任务。")
            run = runner.execute(runner.plan(name).pk)
            self.stdout.write(
                json.dumps(
                    {"job": name, "ok": run.ok, "output": run.output[-1000:]},
                    ensure_ascii=False,
                )
            )
            if not run.ok:
                raise CommandError(f"定时任务“{name}”运行失败。")
            return
        scheduler = BlockingScheduler(timezone=tz)
        for job in JOBS:
            scheduler.add_job(
                _fire,
                schedule_trigger(job, tz),
                args=[job.name],
                id=job.name,
                name=job.label,
                misfire_grace_time=3600,
                coalesce=True,
            )
        self.stdout.write(f"定时任务调度已启动（{len(JOBS)} 项，时区 {tz}）。")
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
