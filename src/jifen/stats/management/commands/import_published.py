"""manage.py import_published --year Y FILE.csv: a past round from its published list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.audit.context import audit_context
from jifen.core.errors import ServiceError
from jifen.stats.history import import_published


class Command(BaseCommand):
    help = (
        "Import a published list of settled applicants (积分落户公示名单) as the past round of "
        "--year: rank,birth_month,total or rank,birth_month, the ten indicator columns, total "
        "(the format of shared/data/). Rank, admitted and the line are computed by the round's "
        "ranking (the year's rule set, quota = its ranking.quota). Importing a year again "
        "replaces its list atomically; a year run in this system (a live round) is refused. "
        "Warnings (Chinese) precede the last line, one JSON object: "
        '{"year", "rows", "line", "admitted"}. Exit status 1, naming the line and the column, '
        "when the file is wrong; nothing is imported then."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the application year")
        parser.add_argument("file", help="the published list (CSV, UTF-8)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {path}", returncode=1) from None
        except UnicodeDecodeError:
            raise CommandError(f"文件 {path} 不是 UTF-8 编码，未导入", returncode=1) from None
        try:
            with audit_context(channel="cli"):
                outcome = import_published(
                    actor=None, year=options["year"], text=text, source_name=str(path)
                )
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from None
        line = "—" if outcome.line is None else f"{outcome.line}"
        self.stdout.write(
            f"已导入 {outcome.year} 年度公布名单：{outcome.rows:,} 行，"
            f"分数线 {line} 分，落户 {outcome.admitted:,} 人（积分规则 {outcome.round.rule_set}，"
            f"落户指标 {outcome.round.quota:,} 个）"
        )
        for warning in outcome.warnings:
            self.stdout.write(warning)
        self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
