"""What-if (模拟测算) of a round too big to compute within a page request: a background job.

A round with more applications than ``STATS_WHATIF_MAX`` is not refused: its what-if runs as a
django-tasks task (the worker ``make run`` starts) and its outcome waits in the shared cache
(``JOB_SECONDS``), keyed by a random job id that only its bureau user may read. The page polls
the job (a plain meta refresh) and shows the outcome as it would show a small round's; its XLSX
export reads the same outcome instead of computing it again.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from typing import Any

from django.core.cache import cache
from django.db import transaction

from jifen.core.errors import NotFound, ServiceError

from .whatif import Scenario, WhatIf, check_scenario

log = logging.getLogger(__name__)

JOB_SECONDS = 2 * 60 * 60  # how long a finished what-if is kept to be read and exported


def _key(job_id: str) -> str:
    return f"stats:whatif:job:{job_id}"


def start_job(*, actor: Any, year: int, scenario: Scenario) -> str:
    """Queue the what-if of ``scenario`` for round ``year``; its id (the scenario is checked
    first, so a bad one is refused at once, naming the field)."""
    check_scenario(actor=actor, year=year, scenario=scenario)
    job_id = secrets.token_urlsafe(12)
    cache.set(
        _key(job_id),
        {
            "state": "queued",
            "actor": actor.pk,
            "year": year,
            "scenario": dataclasses.asdict(scenario),
        },
        JOB_SECONDS,
    )
    from .tasks import whatif_task

    transaction.on_commit(lambda: whatif_task.enqueue(job_id))
    return job_id


def job_of(*, actor: Any, job_id: str) -> dict[str, Any]:
    """The job's state (``queued``, ``running``, ``done`` with ``outcome``, ``failed`` with
    ``message``); NotFound when it is not there (expired) or not the actor's."""
    job = cache.get(_key(job_id or ""))
    if job is None or job.get("actor") != getattr(actor, "pk", None):
        raise NotFound("没有这项模拟测算（可能已过期，请重新测算）")
    return job


def carry_out(job_id: str) -> str:
    """Compute the job's what-if (the task's body); returns its final state."""
    from jifen.accounts.models import User

    from .whatif import compute_whatif

    job = cache.get(_key(job_id))
    if job is None or job.get("state") != "queued":
        return "missing" if job is None else job["state"]
    cache.set(_key(job_id), {**job, "state": "running"}, JOB_SECONDS)
    try:
        actor = User.objects.get(pk=job["actor"])
        outcome: WhatIf = compute_whatif(
            actor=actor, year=job["year"], scenario=Scenario(**job["scenario"]), bounded=False
        )
    except ServiceError as exc:
        cache.set(_key(job_id), {**job, "state": "failed", "message": exc.message}, JOB_SECONDS)
        return "failed"
    except Exception:
        log.exception("what-if job %s failed", job_id)
        cache.set(
            _key(job_id),
            {**job, "state": "failed", "message": "模拟测算出错，请稍后重试或联系运维人员"},
            JOB_SECONDS,
        )
        raise
    cache.set(_key(job_id), {**job, "state": "done", "outcome": outcome}, JOB_SECONDS)
    return "done"
