"""The audit log anchored outside the database: taking checkpoints, verifying the whole log.

The keyed chain (:func:`jifen.audit.services.verify_chain`) shows any event changed, removed
or inserted by someone without ``AUDIT_CHAIN_KEY``; it cannot show a log emptied or cut short
as a whole (the head row rewritten with it), nor a log rewritten by someone with the key. A
checkpoint (:mod:`jifen.audit.checkpoints`) records the head in a file the database role cannot
reach; every later verification requires the log to still hold each checkpointed event with
the same hash.

Taking a checkpoint (``manage.py audit_checkpoint``, also run by the scheduler):

1. the events since the previous checkpoint are verified (a checkpoint must not vouch for a
   damaged log);
2. the head's seq and hash are appended to the file and flushed to disk;
3. an ``audit.checkpoint`` event records the new line's number and MAC in the log itself, so
   that a checkpoint file later deleted, truncated or replaced by an older copy is noticed
   while the log is intact. (Written after the line: a crash in between leaves a line without
   its event, which is harmless, never an event without its line.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max

from .checkpoints import (
    Checkpoint,
    CheckpointFile,
    CheckpointFileError,
    append_checkpoint,
    read_checkpoints,
)
from .hashing import GENESIS_HASH
from .models import AuditEvent
from .services import ChainReport, record_event, verify_chain

CHECKPOINT_ACTION = "audit.checkpoint"
_IN_CHUNK = 500


@dataclass(frozen=True)
class AnchorReport:
    """How the log compares with the checkpoint file."""

    ok: bool
    path: str
    exists: bool
    checkpoints: int
    newest: Checkpoint | None
    unanchored: int  # events after the newest checkpoint (protected by the keyed chain only)
    problem: str = ""


@dataclass(frozen=True)
class LogReport:
    """The outcome of :func:`verify_log`: the chain, then the checkpoints."""

    chain: ChainReport
    anchor: AnchorReport

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.anchor.ok

    @property
    def problem(self) -> str:
        return self.chain.problem or self.anchor.problem


def _hashes_at(seqs: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for i in range(0, len(seqs), _IN_CHUNK):
        chunk = seqs[i : i + _IN_CHUNK]
        found.update(AuditEvent.objects.filter(seq__in=chunk).values_list("seq", "hash"))
    return found


def _recorded_checkpoints() -> list[tuple[int, dict[str, Any]]]:
    """The ``audit.checkpoint`` events of the log: (seq, after), oldest first."""
    rows = AuditEvent.objects.filter(action=CHECKPOINT_ACTION).order_by("seq")
    return [(seq, after or {}) for seq, after in rows.values_list("seq", "after")]


def _compare(file: CheckpointFile, log_end: int) -> str:
    """The first disagreement between the checkpoint file and the log ("" when none)."""
    if not file.ok:
        return f"checkpoint file {file.path}: {file.problem}"
    checkpoints = [c for c in file.checkpoints if c.seq > 0]
    hashes = _hashes_at(sorted({c.seq for c in checkpoints}))
    for checkpoint in checkpoints:
        label = f"checkpoint {checkpoint.number} ({checkpoint.at})"
        if checkpoint.seq > log_end:
            return (
                f"{label} covers the log up to event seq {checkpoint.seq}, but the log ends at "
                f"seq {log_end}: events were removed (the log was emptied, truncated or rolled "
                "back)"
            )
        stored = hashes.get(checkpoint.seq)
        if stored is None:
            return f"event seq {checkpoint.seq}, named by {label}, is missing from the log"
        if stored != checkpoint.hash:
            return (
                f"event seq {checkpoint.seq} no longer has the hash {label} recorded: the log "
                "was rewritten (or the checkpoint file belongs to another database)"
            )
    for seq, after in _recorded_checkpoints():
        number, mac = after.get("checkpoint"), after.get("mac")
        if not isinstance(number, int):
            continue
        if number > len(file.checkpoints):
            where = "is missing" if not file.exists else f"has {len(file.checkpoints)} line(s)"
            return (
                f"the log records checkpoint {number} (event seq {seq}), but the checkpoint file "
                f"{where}: the file was deleted, truncated or replaced by an older copy"
            )
        if file.checkpoints[number - 1].mac != mac:
            return (
                f"checkpoint {number} in the file is not the one the log recorded at event seq "
                f"{seq}: the checkpoint file was replaced"
            )
    if not file.checkpoints and getattr(settings, "AUDIT_CHECKPOINT_REQUIRED", False):
        return (
            f"no checkpoint in {file.path}: the log is not anchored outside the database; run "
            "'manage.py audit_checkpoint' (and schedule it)"
        )
    return ""


def verify_anchor() -> AnchorReport:
    """Compare the log with the checkpoint file (see :func:`_compare` for what is checked)."""
    file = read_checkpoints()
    log_end = AuditEvent.objects.aggregate(end=Max("seq"))["end"] or 0
    problem = _compare(file, log_end)
    newest = file.newest
    return AnchorReport(
        ok=not problem,
        path=str(file.path),
        exists=file.exists,
        checkpoints=len(file.checkpoints),
        newest=newest,
        unanchored=max(0, log_end - (newest.seq if newest else 0)),
        problem=problem,
    )


def verify_log() -> LogReport:
    """Verify the keyed chain from its first event, then the log against its checkpoints."""
    chain = verify_chain()
    return LogReport(chain=chain, anchor=verify_anchor())


def take_checkpoint() -> tuple[Checkpoint, AuditEvent]:
    """Verify the events since the last checkpoint, append a checkpoint of the head to the
    file, and record it in the log. Raises CheckpointFileError (nothing written) when the file
    or the log is not sound."""
    file = read_checkpoints()
    if not file.ok:
        raise CheckpointFileError(f"checkpoint file {file.path}: {file.problem}")
    newest = file.newest
    start_seq, start_hash = (newest.seq, newest.hash) if newest else (0, GENESIS_HASH)
    report = verify_chain(start_seq=start_seq, start_hash=start_hash)
    if not report.ok:
        raise CheckpointFileError(
            f"the audit log does not verify since the last checkpoint: {report.problem}"
        )
    checkpoint = append_checkpoint(report.last_seq, report.last_hash, path=file.path)
    event = record_event(
        actor=None,
        action=CHECKPOINT_ACTION,
        after={
            "checkpoint": checkpoint.number,
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "mac": checkpoint.mac,
        },
    )
    return checkpoint, event
