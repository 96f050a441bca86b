"""manage.py audit_checkpoint — anchor the audit chain's head outside the database, now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jifen.audit.anchor import take_checkpoint
from jifen.audit.checkpoints import CheckpointFileError, checkpoint_path
from jifen.audit.context import audit_context
from jifen.audit.refusals import flush_refusal_summaries


class Command(BaseCommand):
    help = (
        "Write the summaries of refused requests that were only counted, verify the audit "
        "events since the last checkpoint, append a signed checkpoint of the "
        "chain head (seq, hash, time) to the checkpoint file in AUDIT_CHECKPOINT_DIR, and record "
        "it in the log. The scheduler runs it regularly; after a checkpoint, a log emptied, cut "
        "short or rewritten makes 'manage.py audit_verify' fail. The last line printed is one "
        "JSON object: seq, hash, time, file, checkpoint. Exit status 1 (nothing written) when "
        "the log or the checkpoint file does not verify."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(channel="cli"):
            # Summaries of refusal floods that have stopped go in before the checkpoint; a cache
            # that cannot be read must not stop the checkpoint itself.
            try:
                flush_refusal_summaries()
            except Exception as exc:  # reported; the checkpoint goes on
                self.stderr.write(f"refusal summaries not written: {exc}")
        try:
            with audit_context(channel="cli"):
                checkpoint, event = take_checkpoint()
        except CheckpointFileError as exc:
            raise CommandError(f"no checkpoint written: {exc}", returncode=1) from exc
        self.stdout.write(
            f"checkpoint {checkpoint.number} covers the log up to event seq {checkpoint.seq}; "
            f"recorded in the log as event seq {event.seq}"
        )
        self.stdout.write(
            json.dumps(
                {
                    "seq": checkpoint.seq,
                    "hash": checkpoint.hash,
                    "time": checkpoint.at,
                    "file": str(checkpoint_path()),
                    "checkpoint": checkpoint.number,
                },
                ensure_ascii=False,
            )
        )
