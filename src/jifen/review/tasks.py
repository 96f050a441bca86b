"""Background tasks of verification (django-tasks; ``manage.py task_worker`` carries them out,
and ``make run`` starts one with the server)."""

from __future__ import annotations

from django_tasks import task


@task()
def compare_upload_task(run_id: int, path: str) -> None:
    """Carry out the data comparison ``run_id`` on its uploaded file at ``path`` (queued by
    ``comparison_uploads.start_in_background``); never raises (failures are on the run)."""
    from .comparison_uploads import run_uploaded

    run_uploaded(run_id, path)
