"""``manage.py backup full|incremental|list|drill`` — backups and recovery drills.

Each prints one JSON object on its last line (``list``: one object a line, oldest first, each
with ``id``, ``kind``, ``created``, ``bytes``, ``sha256`` and ``path``). On failure: a Chinese
message on stderr, ``{"ok": false, "error": ...}`` on the last line and exit status 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from jifen.core.errors import ServiceError
from jifen.ops.backups import services


def emit(stdout: Any, data: dict[str, Any]) -> None:
    stdout.write(json.dumps(data, ensure_ascii=False, default=str))


def fail(command: BaseCommand, message: str) -> None:
    command.stderr.write(message)
    emit(command.stdout, {"ok": False, "error": message})
    command.stdout.flush()
    sys.exit(1)


class Command(BaseCommand):
    help = "数据备份：full 全量备份，incremental 增量备份，list 列出备份，drill 恢复演练"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["full", "incremental", "list", "drill"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "list":
                for record in services.listing():
                    emit(self.stdout, services.as_json(record))
                return
            if action == "drill":
                drill = services.run_drill()
                data = services.drill_json(drill)
                if not drill.ok:
                    self.stderr.write(f"恢复演练未通过：{drill.failure}")
                    emit(self.stdout, {**data, "error": f"恢复演练未通过：{drill.failure}"})
                    self.stdout.flush()
                    sys.exit(1)
                emit(self.stdout, data)
                return
            record = services.take_backup(kind=action)
            emit(
                self.stdout,
                {
                    "ok": True,
                    **services.as_json(record),
                    "engine": record.engine,
                    "parent": record.parent.backup_id if record.parent else None,
                    "manifest": record.manifest,
                },
            )
        except ServiceError as exc:
            fail(self, exc.message)
        except Exception as exc:  # the contract: a JSON last line, whatever went wrong
            fail(self, f"备份命令出错：{type(exc).__name__}: {exc}")
