"""manage.py compare_records --year Y --kind KIND FILE.csv|FILE.xlsx  (a public interface).

Compares a department's complete records of one kind with every application of the round that
its employer has submitted (../shared/spec/department-records.md). Success: exit 0, one JSON
object on the last line (kind, rows, persons, applications, matched, different, not_in_round).
A refused file: exit 1, its errors one per line (``line 17, column from: …``), nothing applied.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.core.errors import Conflict
from jifen.review.comparisons import run_comparison, start_run, summary_of
from jifen.review.kinds import KINDS
from jifen.review.record_files import RecordFileError
from jifen.review.sources import FileSource
from jifen.rounds.models import Round


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "数据比对：将部门的一类完整记录与本年度单位已提交的全部申报比对（CSV 或 XLSX）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="申报年度")
        parser.add_argument("--kind", required=True, choices=KINDS, help="记录类别")
        parser.add_argument("file", help="部门记录文件（.csv 或 .xlsx）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        rnd = Round.objects.filter(year=options["year"]).first()
        if rnd is None:
            raise CommandError(f"没有 {options['year']} 年度的积分落户年度")
        try:
            run = start_run(
                round_=rnd, kind=options["kind"], file_name=path.name, sha256=_sha256(path),
                size=path.stat().st_size,
            )
        except Conflict as exc:
            raise CommandError(exc.message) from exc
        try:
            run = run_comparison(run, FileSource(path, options["kind"], file_name=path.name))
        except RecordFileError as exc:
            for error in exc.errors:
                self.stdout.write(str(error))
            self.stdout.flush()
            sys.exit(1)
        self.stdout.write(orjson.dumps(summary_of(run)).decode())
