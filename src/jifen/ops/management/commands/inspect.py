"""``manage.py inspect``: run an inspection (巡检) and keep its report.

  --kind daily|weekly|monthly   daily (default): OS, database, the day's logs, backups and the
                                audit chain; weekly: the system-software check; monthly: the
                                summary of a month's dailies
  --date YYYY-MM-DD             daily: inspect that day's logs (00:00–24:00); weekly: the week
                                ending that day; monthly: the month of that day (default: the
                                previous month)

The findings are printed one a line, then a JSON summary on the LAST line:
``{"id": …, "kind": …, "status": "正常"|"警告"|"异常", "counts": {"正常": n, "警告": n,
"异常": n}, "alerts": n}``. The exit code is 0 whatever the status (the status says it);
non-zero only when the inspection itself could not run.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jifen.ops.inspection import service
from jifen.ops.models import Inspection


class Command(BaseCommand):
    help = "运行巡检（日常巡检、系统软件周检或月度巡检汇总），保存巡检报告，末行输出 JSON 摘要"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--kind",
            choices=[k.value for k in Inspection.Kind],
            default="daily",
            help="巡检类型：daily（日常巡检）、weekly（系统软件周检）、monthly（月度巡检汇总）",
        )
        parser.add_argument("--date", help="巡检日期 YYYY-MM-DD（日常巡检：检查该日的日志）")

    def handle(self, *args: Any, **options: Any) -> None:
        day: date | None = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(
                    f"--date 应为 YYYY-MM-DD 格式的日期，收到“{options['date']}”。"
                ) from None
        kind = options["kind"]
        try:
            if kind == Inspection.Kind.WEEKLY:
                inspection = service.run_weekly(day=day)
            elif kind == Inspection.Kind.MONTHLY:
                inspection = service.run_monthly(month=day)
            else:
                inspection = service.run_daily(day=day)
        except Exception as exc:
            raise CommandError(f"巡检未能完成：{type(exc).__name__}: {exc}") from exc
        for f in inspection.findings:
            value = "—" if f["value"] is None else f"{f['value']}{f.get('unit', '')}"
            self.stdout.write(
                f"[{f['status']}] {f['group']} · {f['name']}：{value}（{f['threshold']}）"
            )
        self.stdout.write(
            json.dumps(
                {
                    "id": inspection.pk,
                    "kind": inspection.kind,
                    "status": inspection.status,
                    "counts": service.counts(inspection.findings),
                    "alerts": inspection.summary.get("alerts_raised", 0),
                },
                ensure_ascii=False,
            )
        )
