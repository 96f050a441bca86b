"""manage.py audit_verify — check the audit log's keyed chain, its checkpoints and triggers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from jifen.audit.anchor import AnchorReport, verify_log
from jifen.audit.triggers import triggers_installed


def anchor_line(anchor: AnchorReport) -> str:
    if anchor.newest is None:
        return (
            f"no checkpoint yet in {anchor.path}: the log is not anchored outside the "
            "database (run 'manage.py audit_checkpoint')"
        )
    return (
        f"checkpoints OK: {anchor.checkpoints} in {anchor.path}; the newest "
        f"(checkpoint {anchor.newest.number}, {anchor.newest.at}) covers seq "
        f"{anchor.newest.seq}; {anchor.unanchored} event(s) since"
    )


class Command(BaseCommand):
    help = (
        "Verify the audit log: recompute every event's keyed hash (HMAC-SM3 with "
        "AUDIT_CHAIN_KEY), check every link of the chain, that the log still holds every event "
        "its checkpoints name with the same hash (and the checkpoint file every checkpoint the "
        "log recorded), and that the append-only triggers are in place. Exit status 1 when "
        "anything is wrong."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log()
        chain, anchor = report.chain, report.anchor
        guarded = triggers_installed(connections[DEFAULT_DB_ALIAS])
        if report.ok:
            self.stdout.write(
                f"audit chain OK: {chain.checked} event(s) checked; "
                f"head seq {chain.last_seq} hash {chain.last_hash}"
            )
            if anchor.newest is None:
                self.stderr.write(anchor_line(anchor))
            else:
                self.stdout.write(anchor_line(anchor))
        if not guarded:
            self.stderr.write("append-only triggers MISSING on the audit table")
        if not chain.ok:
            where = f" (event id {chain.first_bad_id})" if chain.first_bad_id is not None else ""
            raise CommandError(
                f"audit chain BROKEN after {chain.checked} good event(s){where}: {chain.problem}",
                returncode=1,
            )
        if not anchor.ok:
            raise CommandError(
                f"audit log BROKEN against its checkpoints: {anchor.problem}", returncode=1
            )
        if not guarded:
            raise CommandError(
                "the audit table is not protected; run 'manage.py migrate' to restore the triggers",
                returncode=1,
            )
