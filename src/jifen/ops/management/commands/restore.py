"""``manage.py restore latest|ID`` — rebuild the database and evidence files from a backup.

SQLite: the full backup and every incremental after it, each checked, into a temporary file
that replaces the live database only when all checks passed (stop the server first).
PostgreSQL: pgBackRest restores the data directory (the server must be stopped);
``--time`` restores to a point in time. Prints one JSON object on its last line.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jifen.core.errors import ServiceError
from jifen.ops.backups import services

from .backup import emit, fail


class Command(BaseCommand):
    help = "数据恢复：按备份链恢复数据库与材料文件（latest 为最近一次备份，或给出备份编号）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", help="latest 或备份编号")
        parser.add_argument(
            "--time",
            dest="until",
            default=None,
            help="仅 PostgreSQL：恢复到此时间点（如 2026-11-30 10:00:00+08）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.restore(target=options["target"], until=options["until"])
        except ServiceError as exc:
            fail(self, exc.message)
        except Exception as exc:
            fail(self, f"恢复命令出错：{type(exc).__name__}: {exc}")
        else:
            emit(self.stdout, {"ok": True, **result})
