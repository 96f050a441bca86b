"""Reads for the console's backup page: the chains with age and size, drills, tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from jifen.ops import parameters
from jifen.ops.models import Backup, RecoveryDrill

TASK_PATHS = ("jifen.ops.tasks.backup_task", "jifen.ops.tasks.drill_task")


def age_text(delta: timedelta) -> str:
    """An age in Chinese: 3 天 2 小时 / 5 小时 12 分钟 / 4 分钟."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分钟"
    return f"{minutes} 分钟"


@dataclass
class Row:
    backup: Backup
    age: str
    depth: int


@dataclass
class Chain:
    full: Backup
    rows: list[Row]
    bytes: int
    newest: datetime


def chains(now: datetime | None = None) -> list[Chain]:
    """The kept backups as chains (a full backup and its incrementals), newest chain first."""
    now = now or timezone.now()
    kept = list(
        Backup.objects.filter(status=Backup.Status.OK)
        .select_related("parent")
        .order_by("created", "id")
    )
    by_full: dict[int, Chain] = {}
    head_of: dict[int, int] = {}
    for record in kept:
        if record.kind == Backup.Kind.FULL or record.parent_id not in head_of:
            head_of[record.pk] = record.pk
            by_full[record.pk] = Chain(full=record, rows=[], bytes=0, newest=record.created)
        else:
            head_of[record.pk] = head_of[record.parent_id]
        chain = by_full[head_of[record.pk]]
        chain.rows.append(Row(record, age_text(now - record.created), len(chain.rows)))
        chain.bytes += record.bytes
        chain.newest = record.created
    return sorted(by_full.values(), key=lambda c: c.full.created, reverse=True)


def failed(limit: int = 5) -> list[Backup]:
    return list(Backup.objects.filter(status=Backup.Status.FAILED).order_by("-created")[:limit])


def drills(limit: int = 10) -> list[RecoveryDrill]:
    return list(RecoveryDrill.objects.select_related("backup").order_by("-started")[:limit])


def retention() -> dict[str, Any]:
    return {
        "keep_full": parameters.get("backup_keep_full"),
        "keep_days": parameters.get("backup_keep_days"),
        "directory": str(settings.BACKUP_DIR),
    }


def pending_tasks() -> list[dict[str, Any]]:
    """Backups and drills asked for in the console and not finished (database task backend
    only; the immediate backend of the tests has run them already)."""
    backend = settings.TASKS["default"]["BACKEND"]
    if "django_tasks_db" not in backend:
        return []
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(
        task_path__in=TASK_PATHS, status__in=("READY", "RUNNING")
    ).order_by("enqueued_at")
    return [
        {
            "what": "恢复演练" if row.task_path.endswith("drill_task") else _kind_label(row),
            "status": "执行中" if row.status == "RUNNING" else "排队等待",
            "enqueued_at": row.enqueued_at,
        }
        for row in rows
    ]


def _kind_label(row: Any) -> str:
    args = (row.args_kwargs or {}).get("args") or [""]
    return Backup.Kind(args[0]).label if args[0] in Backup.Kind.values else "数据备份"
