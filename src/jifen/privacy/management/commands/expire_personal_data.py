"""``manage.py expire_personal_data [--dry-run]``: apply the retention periods now.

Deletes the expired evidence files and published-list files and anonymises the expired
applications that did not settle (``jifen.privacy.retention``); audited. The last line is one
JSON object: ``{"dry_run", "at", "rounds", "evidence_deleted", "evidence_bytes",
"applications_anonymised", "persons_anonymised", "published_files_deleted", "settled_kept"}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from jifen.audit.context import audit_context
from jifen.privacy.retention import expire_personal_data


class Command(BaseCommand):
    help = "按个人信息保存期限删除或匿名化到期的个人信息（--dry-run 只统计，不作更改）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="只统计将删除或匿名化的数量，不作任何更改"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(channel="cli"):
            summary = expire_personal_data(dry_run=options["dry_run"])
        self.stdout.write(summary.describe())
        self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
