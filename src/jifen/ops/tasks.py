"""Background tasks of operations (django-tasks; ``manage.py task_worker`` runs them)."""

from __future__ import annotations

import contextlib

from django_tasks import task


@task()
def scheduled_job_task(run_id: int) -> None:
    """Run the scheduled job recorded as ``run_id`` (queued by ``run_scheduler``)."""
    from .runner import execute

    execute(run_id)


@task()
def backup_task(kind: str, actor_id: int | None = None) -> None:
    """A backup an operator asked for in the console (its outcome is on the Backup record)."""
    from jifen.core.errors import ServiceError

    from .backups import services

    # A failure is recorded as a failed backup with its alert.
    with contextlib.suppress(ServiceError):
        services.take_backup(kind=kind, actor=_user(actor_id))


@task()
def drill_task(actor_id: int | None = None) -> None:
    """A recovery drill an operator asked for in the console (recorded as a RecoveryDrill)."""
    from .backups import services

    services.run_drill(actor=_user(actor_id))


def _user(pk: int | None) -> object:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=pk).first() if pk else None
