"""The checkpoint file: signed, chained records of the audit chain's head, kept outside the
database.

One JSON object per line (JSON Lines), appended and never rewritten::

    {"at":"2025-03-01T08:00:00.000000+00:00","hash":"<event hash>","mac":"<HMAC-SM3>",
     "n":3,"prev":"<mac of line 2>","seq":1234,"v":1}

- ``n`` numbers the checkpoints 1, 2, 3 … (it is the line's number);
- ``seq``/``hash`` name the newest event of the chain when the checkpoint was taken;
- ``prev`` is the previous line's ``mac`` (64 zeros on the first line), so removing, reordering
  or replacing lines in the middle breaks the file's own chain;
- ``mac`` is the HMAC-SM3, under the checkpoint key (derived from ``AUDIT_CHAIN_KEY``, never
  in the database), of the canonical JSON of the other fields: a line cannot be forged or
  edited without the key.

The file is opened with ``O_APPEND`` (mode 0600, its folder 0700) and each line is written with
one ``write`` and flushed to disk before the checkpoint is recorded in the log. Where the file
must live so that the application's database role cannot reach it is in docs/audit.md.
This module only reads and writes the file; :mod:`jifen.audit.anchor` compares it with the log.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .errors import AuditLogError
from .hashing import GENESIS_HASH, canonical_json, utc_iso
from .keys import current_keys, hmac_sm3_hex, same

FILE_NAME = "audit-checkpoints.jsonl"
FORMAT = 1
_FIELDS = {"v", "n", "seq", "hash", "at", "prev", "mac"}


class CheckpointFileError(AuditLogError):
    """The checkpoint file is unreadable, malformed, forged or edited; nothing was appended."""


@dataclass(frozen=True)
class Checkpoint:
    number: int
    seq: int
    hash: str
    at: str
    prev: str
    mac: str

    def body(self) -> dict[str, Any]:
        """The fields the MAC covers."""
        return {
            "v": FORMAT,
            "n": self.number,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "prev": self.prev,
        }

    def line(self) -> str:
        return canonical_json({**self.body(), "mac": self.mac}) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {**self.body(), "mac": self.mac}


@dataclass(frozen=True)
class CheckpointFile:
    """What a read of the file found: the checkpoints up to the first bad line, and that line's
    problem ("" when every line is sound). ``exists`` is False when there is no file."""

    path: Path
    exists: bool
    checkpoints: list[Checkpoint] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def newest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


def checkpoint_path() -> Path:
    """The checkpoint file of this deployment (``AUDIT_CHECKPOINT_DIR``/audit-checkpoints.jsonl)."""
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def sign(body: dict[str, Any], key: bytes | None = None) -> str:
    key = key if key is not None else current_keys().checkpoint
    return hmac_sm3_hex(key, canonical_json(body).encode("utf-8"))


def _parse(number: int, text: str, prev_mac: str, prev_seq: int, key: bytes) -> Checkpoint:
    """One line, checked against its predecessor; CheckpointFileError names what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CheckpointFileError(f"line {number} is not valid JSON") from exc
    if not isinstance(data, dict) or set(data) != _FIELDS or data.get("v") != FORMAT:
        raise CheckpointFileError(f"line {number} is not a checkpoint of format {FORMAT}")
    try:
        checkpoint = Checkpoint(
            number=int(data["n"]),
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            at=str(data["at"]),
            prev=str(data["prev"]),
            mac=str(data["mac"]),
        )
    except (TypeError, ValueError) as exc:
        raise CheckpointFileError(f"line {number} has a malformed field") from exc
    if not same(sign(checkpoint.body(), key), checkpoint.mac):
        raise CheckpointFileError(
            f"line {number} does not carry a valid signature: it was forged or edited "
            "(or written with another AUDIT_CHAIN_KEY)"
        )
    if checkpoint.number != number or not same(checkpoint.prev, prev_mac):
        raise CheckpointFileError(
            f"line {number} (checkpoint {checkpoint.number}) does not follow the line before "
            "it: checkpoints were removed, reordered or copied in"
        )
    if checkpoint.seq < prev_seq:
        raise CheckpointFileError(
            f"checkpoint {number} names seq {checkpoint.seq}, before the previous checkpoint's "
            f"seq {prev_seq}"
        )
    return checkpoint


def read_checkpoints(path: Path | None = None) -> CheckpointFile:
    """Read and check every line of the checkpoint file (signature, numbering, chaining)."""
    path = path or checkpoint_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return CheckpointFile(path=path, exists=False)
    except OSError as exc:
        return CheckpointFile(
            path=path, exists=True, problem=f"cannot read the checkpoint file: {exc.strerror}"
        )
    key = current_keys().checkpoint
    checkpoints: list[Checkpoint] = []
    prev_mac, prev_seq = GENESIS_HASH, 0
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return CheckpointFile(path=path, exists=True, problem="the file is not UTF-8 text")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline ending the last line
    elif lines:
        return CheckpointFile(
            path=path,
            exists=True,
            checkpoints=[],
            problem=f"line {len(lines)} is incomplete (no line end): the file was cut or edited",
        )
    for number, line in enumerate(lines, start=1):
        try:
            checkpoint = _parse(number, line, prev_mac, prev_seq, key)
        except CheckpointFileError as exc:
            return CheckpointFile(path=path, exists=True, checkpoints=checkpoints, problem=str(exc))
        checkpoints.append(checkpoint)
        prev_mac, prev_seq = checkpoint.mac, checkpoint.seq
    return CheckpointFile(path=path, exists=True, checkpoints=checkpoints)


def _open_for_append(path: Path) -> int:
    created = not path.exists()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    if created:
        # The new directory entry must survive a crash too.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return fd


def append_checkpoint(
    seq: int, head_hash: str, *, path: Path | None = None, now: datetime | None = None
) -> Checkpoint:
    """Append a checkpoint naming event ``seq`` with ``head_hash``; returns it once it is on
    disk. Refuses (CheckpointFileError) when the file is not sound: a new line must not
    vouch for a forged or damaged file. Concurrent writers queue on an exclusive lock."""
    path = path or checkpoint_path()
    fd = _open_for_append(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        current = read_checkpoints(path)
        if not current.ok:
            raise CheckpointFileError(f"{path}: {current.problem}; nothing was appended")
        newest = current.newest
        if newest is not None and seq < newest.seq:
            raise CheckpointFileError(
                f"the log's head (seq {seq}) is behind checkpoint {newest.number} "
                f"(seq {newest.seq}): the log was cut short or rolled back; nothing was appended"
            )
        number = (newest.number + 1) if newest else 1
        prev = newest.mac if newest else GENESIS_HASH
        at = utc_iso(now or timezone.now())
        body = Checkpoint(number=number, seq=seq, hash=head_hash, at=at, prev=prev, mac="")
        checkpoint = replace(body, mac=sign(body.body()))
        data = checkpoint.line().encode("utf-8")
        # One write: with O_APPEND the line lands whole at the end of the file.
        if os.write(fd, data) != len(data):
            raise CheckpointFileError(f"{path}: short write; the last line is incomplete")
        os.fsync(fd)
        return checkpoint
    finally:
        os.close(fd)  # closing releases the lock
