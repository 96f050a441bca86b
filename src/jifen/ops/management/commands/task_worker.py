"""``manage.py task_worker``: django-tasks-db's ``db_worker`` with a heartbeat, so that a job
whose worker died is marked failed rather than left RUNNING for ever (jifen.ops.task_workers).
Same options as ``db_worker``; the worker id defaults to ``host:pid:random``."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from jifen.ops.task_workers import Heartbeat, new_worker_id


class Command(DbWorkerCommand):
    help = "运行后台任务进程（带心跳：进程中断时其任务会被标记为失败，不会一直显示为执行中）"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=new_worker_id(), reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        heartbeat = Heartbeat(options["worker_id"])
        # Known before the first job is claimed, and the jobs the dead left behind reaped.
        heartbeat.once()
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stopped.set()
