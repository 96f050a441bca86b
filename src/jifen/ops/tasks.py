"""Background tasks of operations (django-tasks; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def scheduled_job_task(run_id: int) -> None:
    """Run the scheduled job recorded as ``run_id`` (queued by ``run_scheduler``)."""
    from .runner import execute

    execute(run_id)
