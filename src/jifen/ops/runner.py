"""Running a scheduled job and keeping its outcome (:class:`ScheduledRun`)."""

from __future__ import annotations

import importlib
import logging
import traceback
from datetime import datetime

from django.utils import timezone

from .models import ScheduledRun
from .schedule import job as find_job

logger = logging.getLogger(__name__)


def plan(name: str, planned_at: datetime | None = None) -> ScheduledRun:
    find_job(name)
    return ScheduledRun.objects.create(job=name, planned_at=planned_at or timezone.now())


def execute(run_id: int) -> ScheduledRun:
    """Run the job of ``run_id`` now; never raises (the failure is on the record)."""
    run = ScheduledRun.objects.get(pk=run_id)
    run.started = timezone.now()
    run.save(update_fields=["started"])
    spec = find_job(run.job)
    module, _, attr = spec.func.partition(":")
    try:
        result = getattr(importlib.import_module(module), attr)()
        run.ok, run.output = True, str(result or "")[:4000]
    except Exception as exc:  # a job's failure is recorded, never lost
        logger.exception("scheduled job %s failed", run.job)
        run.ok = False
        run.output = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-3000:]}"
    run.finished = timezone.now()
    run.save(update_fields=["ok", "output", "finished"])
    return run


def abandon(run_id: int, *, reason: str) -> None:
    """The task worker running ``run_id`` died (jifen.ops.task_workers): recorded as failed,
    so that the console lists it among the failed runs instead of as still running."""
    ScheduledRun.objects.filter(pk=run_id, finished__isnull=True).update(
        ok=False, output=reason, finished=timezone.now()
    )
