"""manage.py audit_verify — check the audit log's hash chain and append-only triggers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from jifen.audit.services import verify_chain
from jifen.audit.triggers import triggers_installed


class Command(BaseCommand):
    help = (
        "Verify the audit log: recompute every event's hash, check every link of the chain "
        "and that the append-only triggers are in place. Exit status 1 when anything is wrong."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        guarded = triggers_installed(connections[DEFAULT_DB_ALIAS])
        if report.ok:
            self.stdout.write(
                f"audit chain OK: {report.checked} event(s) checked; "
                f"head seq {report.last_seq} hash {report.last_hash}"
            )
        if not guarded:
            self.stderr.write("append-only triggers MISSING on the audit table")
        if not report.ok:
            where = f" (event id {report.first_bad_id})" if report.first_bad_id is not None else ""
            raise CommandError(
                f"audit chain BROKEN after {report.checked} good event(s){where}: {report.problem}",
                returncode=1,
            )
        if not guarded:
            raise CommandError(
                "the audit table is not protected; run 'manage.py migrate' to restore the triggers",
                returncode=1,
            )
