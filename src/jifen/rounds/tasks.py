"""Background tasks of the round (django-tasks; the database backend's ``manage.py task_worker``
carries them out, and ``make run`` starts one with the server)."""

from __future__ import annotations

from django_tasks import task

from .models import ScoringRun


@task()
def score_round_task(run_id: int) -> dict:
    """Carry out scoring run ``run_id`` (queued by ``scoring.start_run``); returns its state."""
    from .scoring import execute_run

    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None:
        return {"run": run_id, "state": "missing"}
    run = execute_run(run)
    return {"run": run.pk, "state": run.state}
