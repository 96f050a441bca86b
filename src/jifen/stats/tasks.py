"""Background tasks of the statistics (django-tasks; ``manage.py task_worker`` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def whatif_task(job_id: str) -> str:
    """A what-if of a big round (stats.whatif_jobs); returns the job's final state."""
    from .whatif_jobs import carry_out

    return carry_out(job_id)
