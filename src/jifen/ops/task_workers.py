"""Task workers' heartbeats and the jobs their death abandons.

django-tasks-db claims a job by marking it RUNNING with the worker's id and never looks at it
again: when the worker process dies (SIGKILL, out of memory, the machine lost) the job stays
RUNNING for ever and whatever waits on it (a scoring run shown as 计算中, a scheduled run
without an outcome) waits too. ``manage.py task_worker`` (django-tasks-db's worker with a
heartbeat) writes a :class:`TaskWorker` row every ``TASK_WORKER_HEARTBEAT_SECONDS``; a RUNNING
job whose worker has not been heard of for ``TASK_WORKER_STALE_SECONDS`` is *reaped*: marked
failed with a Chinese reason, and the record that waits on it is told (``ABANDON_HANDLERS``).

A reaped job is never started again by itself: jobs are not all safe to repeat, and one whose
worker was only cut off from the database could still finish. The record shows the failure and
the job is started again by a person (a scoring run) or at its next time (a scheduled job).
Every live worker reaps, at its start and with each heartbeat. docs/operations.md.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import TaskWorker

log = logging.getLogger(__name__)

LOST_REASON = (
    "任务进程意外中断（{minutes}内未收到进程 {worker} 的心跳），该任务已标记为失败，"
    "未自动重新执行；请核对结果后重新发起"
)
# The exception class recorded on a reaped job (there is no traceback: the process is gone).
LOST_CLASS = "jifen.ops.task_workers.WorkerLost"
# task path -> "module:function(args..., reason=...)" told when its job is reaped: the record
# that waits on the job is marked failed with the reason.
ABANDON_HANDLERS = {
    "jifen.rounds.tasks.score_round_task": "jifen.rounds.scoring:abandon_run",
    "jifen.ops.tasks.scheduled_job_task": "jifen.ops.runner:abandon",
}
# Rows of workers not heard of for this long are removed.
FORGET_AFTER = timedelta(days=1)


def new_worker_id() -> str:
    """``host:pid:random``: unique across machines, and tells an operator where it ran."""
    host = socket.gethostname()[:40]
    return f"{host}:{os.getpid()}:{os.urandom(4).hex()}"


def beat(worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    TaskWorker.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={
            "host": socket.gethostname()[:255], "pid": os.getpid(), "started_at": started_at,
            "beat_at": now,
        },
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} 分钟" if seconds >= 60 else f"{seconds:g} 秒"


def reap_stale_tasks(*, now: datetime | None = None, stale_after: float | None = None) -> list[str]:
    """Mark failed the RUNNING jobs whose worker's heartbeat is older than ``stale_after``
    seconds; returns their ids. Jobs of workers without a heartbeat row (a plain
    ``db_worker``) are left alone: nothing says whether they live."""
    now = now or timezone.now()
    stale_after = float(stale_after or settings.TASK_WORKER_STALE_SECONDS)
    cutoff = now - timedelta(seconds=stale_after)
    last_beat = dict(TaskWorker.objects.values_list("worker_id", "beat_at"))
    reaped = []
    running = DBTaskResult.objects.filter(status="RUNNING").only(
        "id", "worker_ids", "task_path", "args_kwargs"
    )
    for job in running:
        worker = job.worker_ids[-1] if job.worker_ids else None
        beat_at = last_beat.get(worker)
        if beat_at is None or beat_at >= cutoff:
            continue
        reason = LOST_REASON.format(minutes=_minutes(stale_after), worker=worker)
        with transaction.atomic():
            # Only if it is still RUNNING under that worker: two reapers, one outcome.
            taken = DBTaskResult.objects.filter(pk=job.pk, status="RUNNING").update(
                status="FAILED", finished_at=now, return_value=None,
                exception_class_path=LOST_CLASS, traceback=reason,
            )
            if taken:
                _tell(job, reason)
        if taken:
            log.warning("task %s (%s) of lost worker %s marked failed", job.pk, job.task_path,
                        worker)
            reaped.append(str(job.pk))
    TaskWorker.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return reaped


def _tell(job: DBTaskResult, reason: str) -> None:
    target = ABANDON_HANDLERS.get(job.task_path)
    if target is None:
        return
    module, _, name = target.partition(":")
    handler = getattr(importlib.import_module(module), name)
    handler(*job.args_kwargs.get("args", []), **job.args_kwargs.get("kwargs", {}), reason=reason)


class Heartbeat(threading.Thread):
    """Beats for ``worker_id`` and reaps the others' abandoned jobs, every ``every`` seconds,
    while the worker runs (a daemon thread: it dies with the process, which is the point)."""

    def __init__(self, worker_id: str, every: float | None = None) -> None:
        super().__init__(name="task-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.every = float(every or settings.TASK_WORKER_HEARTBEAT_SECONDS)
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def once(self) -> None:
        try:
            beat(self.worker_id, self.started_at)
            reap_stale_tasks()
        except Exception:  # the database may be away for a while: try again at the next beat
            log.exception("task worker heartbeat failed")

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.once()
            # This thread's connection goes back (to the pool) between beats.
            connections.close_all()
