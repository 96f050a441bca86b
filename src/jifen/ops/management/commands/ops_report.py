"""``manage.py ops_report``: generate an operations report from the records.

  --quarter 2026Q4 | --year 2026 | --month 2026-11   the period (one of them, Beijing time)
  --format pdf|xlsx                                   default pdf
  --out PATH                                          default in OPS_REPORT_DIR (var/ops-reports)

The report is recorded (ops.OpsReport) and audited; the last line printed is JSON:
``{"kind": ..., "period": ..., "path": ..., "bytes": ..., "sha256": ...}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jifen.core.errors import ServiceError
from jifen.ops.reports.period import parse
from jifen.ops.reports.services import FORMATS, generate_report, report_dir


class Command(BaseCommand):
    help = "生成运维报告（运维巡检月报、季度或年度运维报告），输出 PDF 或 XLSX"

    def add_arguments(self, parser: Any) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--quarter", metavar="2026Q4", help="季度运维报告")
        which.add_argument("--year", metavar="2026", help="年度运维报告")
        which.add_argument("--month", metavar="2026-11", help="运维巡检月报")
        parser.add_argument("--format", choices=FORMATS, default="pdf", help="输出格式")
        parser.add_argument("--out", metavar="PATH", help="输出文件路径")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = next(k for k in ("quarter", "year", "month") if options[k] is not None)
        fmt = options["format"]
        try:
            period = parse(kind, options[kind])
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        out = (
            Path(options["out"])
            if options["out"]
            else report_dir() / f"ops-report-{period.label}.{fmt}"
        )
        made = generate_report(period=period, fmt=fmt, actor=None, via="command", out=out)
        self.stdout.write(f"{period.title}：已写入 {out}")
        self.stdout.write(
            json.dumps(
                {
                    "kind": period.kind,
                    "period": period.label,
                    "path": str(out.resolve()),
                    "bytes": made.record.bytes,
                    "sha256": made.record.sha256,
                },
                ensure_ascii=False,
            )
        )
