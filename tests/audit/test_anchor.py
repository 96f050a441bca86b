"""Checkpoints outside the database: a log emptied, cut short, reordered, recomputed or rolled
back, and a checkpoint file deleted, forged or edited, all make verification fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jifen.audit.anchor import CHECKPOINT_ACTION, take_checkpoint, verify_log
from jifen.audit.checkpoints import FILE_NAME, CheckpointFileError, read_checkpoints
from jifen.audit.hashing import GENESIS_HASH, canonical_json, chain_hash
from jifen.audit.keys import current_keys
from jifen.audit.models import AuditChainHead, AuditEvent
from jifen.audit.services import record_event, verify_chain

from .conftest import tampering

pytestmark = pytest.mark.django_db

OTHER_KEY = bytes.fromhex("9c3ae157b80df2" * 4 + "6a4d19e0")


def _log(count: int, prefix: str = "step") -> list[AuditEvent]:
    return [
        record_event(actor=None, action=f"{prefix}.{n}", after={"n": n}) for n in range(count)
    ]


def _set_head(seq: int, head_hash: str) -> None:
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": head_hash})


def _delete_from(seq: int) -> None:
    """Cut the log after ``seq - 1`` and point the head at the new end, as a careful attacker
    (or a restored backup) would."""
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= %s", [seq])
    last = AuditEvent.objects.order_by("-seq").first()
    _set_head(last.seq if last else 0, last.hash if last else GENESIS_HASH)


def _rewrite_chain(hasher: Callable[[dict[str, Any]], str]) -> None:
    """Recompute every link and hash with ``hasher`` and store them (the attack of someone
    who drops the triggers, changes the log and recomputes the hashes)."""
    prev = GENESIS_HASH
    with tampering() as cursor:
        for event in AuditEvent.objects.order_by("seq"):
            event.prev_hash = prev
            new_hash = hasher(event.hash_payload())
            cursor.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev, new_hash, event.pk],
            )
            prev = new_hash
    last = AuditEvent.objects.order_by("-seq").first()
    _set_head(last.seq if last else 0, prev)


def _keyed(key: bytes) -> Callable[[dict[str, Any]], str]:
    return lambda payload: hmac.new(key, canonical_json(payload).encode(), "sm3").hexdigest()


def _plain_sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def _right_key(payload: dict[str, Any]) -> str:
    return chain_hash(payload, current_keys().chain)


def _fails(match: str) -> str:
    report = verify_log()
    assert not report.ok
    assert match in report.problem, report.problem
    return report.problem


# --- a sound log ------------------------------------------------------------------------------


def test_a_checkpoint_is_written_and_recorded(checkpoint_dir: Path) -> None:
    events = _log(3)
    checkpoint, event = take_checkpoint()

    assert (checkpoint.number, checkpoint.seq, checkpoint.hash) == (1, 3, events[-1].hash)
    assert checkpoint.prev == GENESIS_HASH
    path = checkpoint_dir / FILE_NAME
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    assert set(json.loads(lines[0])) == {"v", "n", "seq", "hash", "at", "prev", "mac"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(checkpoint_dir.stat().st_mode) == 0o700
    # The log itself remembers the checkpoint (number and MAC of the line).
    assert (event.seq, event.action) == (4, CHECKPOINT_ACTION)
    assert event.after == {"checkpoint": 1, "seq": 3, "hash": events[-1].hash,
                           "mac": checkpoint.mac}

    _log(2)
    second, _ = take_checkpoint()
    assert (second.number, second.seq, second.prev) == (2, 6, checkpoint.mac)
    report = verify_log()
    assert report.ok, report.problem
    assert (report.anchor.checkpoints, report.anchor.newest.seq) == (2, 6)
    assert report.anchor.unanchored == 1  # the second checkpoint's own event


def test_a_checkpoint_of_an_empty_log_names_the_genesis() -> None:
    checkpoint, event = take_checkpoint()
    assert (checkpoint.seq, checkpoint.hash) == (0, GENESIS_HASH)
    assert event.seq == 1
    assert verify_log().ok


def test_without_checkpoints_the_log_verifies_unless_they_are_required(settings) -> None:
    _log(2)
    report = verify_log()
    assert report.ok
    assert (report.anchor.exists, report.anchor.checkpoints) == (False, 0)
    settings.AUDIT_CHECKPOINT_REQUIRED = True
    _fails("no checkpoint in")
    take_checkpoint()
    assert verify_log().ok


# --- the log tampered with ---------------------------------------------------------------------


def test_an_emptied_log_fails_after_a_checkpoint() -> None:
    _log(5)
    take_checkpoint()
    _delete_from(1)  # every event, and the head back to the genesis
    assert AuditEvent.objects.count() == 0
    assert verify_chain().ok  # the chain alone cannot tell an empty log from a new one
    _fails("covers the log up to event seq 5, but the log ends at seq 0")


def test_a_truncated_log_fails() -> None:
    _log(5)
    take_checkpoint()  # covers seq 5; its event is seq 6
    _delete_from(4)
    assert verify_chain().ok
    _fails("the log ends at seq 3: events were removed")


def test_a_log_rolled_back_to_an_earlier_copy_fails() -> None:
    _log(3)
    take_checkpoint()  # covers 3, event 4
    _log(3)
    take_checkpoint()  # covers 7, event 8
    _delete_from(6)  # the state of a backup taken at seq 5
    assert verify_chain().ok
    _fails("checkpoint 2")


def test_a_reordered_log_fails() -> None:
    events = _log(4)
    take_checkpoint()
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -2 WHERE id = %s", [events[1].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [events[2].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [events[1].pk])
    _fails("does not link to its predecessor")


def test_a_reordered_log_recomputed_with_the_key_fails_against_the_checkpoint() -> None:
    # Someone with the key too: the chain verifies again, the checkpoint does not.
    events = _log(4)
    take_checkpoint()
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -2 WHERE id = %s", [events[1].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [events[2].pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [events[1].pk])
    _rewrite_chain(_right_key)
    assert verify_chain().ok
    _fails("no longer has the hash checkpoint 1")


@pytest.mark.parametrize(
    "hasher", [_plain_sha256, _keyed(OTHER_KEY)], ids=["unkeyed-sha256", "another-key"]
)
def test_a_log_recomputed_without_the_key_fails(hasher) -> None:
    # The attack of the issue: drop the triggers, delete events, recompute the hashes.
    _log(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
        cursor.execute("UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > 2")
    _rewrite_chain(hasher)
    report = verify_log()
    assert not report.ok
    assert report.chain.problem == (
        "event seq 1 was altered (its content no longer matches its keyed hash)"
    )


def test_a_log_recomputed_with_the_key_after_a_deletion_fails_against_the_checkpoint() -> None:
    _log(5)
    take_checkpoint()
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
        cursor.execute("UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > 2")
    _rewrite_chain(_right_key)
    assert verify_chain().ok
    _fails("was rewritten")


# --- the checkpoint file tampered with ------------------------------------------------------------


def _lines(checkpoint_dir: Path) -> list[str]:
    return (checkpoint_dir / FILE_NAME).read_text().splitlines(keepends=True)


def _write(checkpoint_dir: Path, lines: list[str]) -> None:
    (checkpoint_dir / FILE_NAME).write_text("".join(lines))


def test_a_deleted_checkpoint_file_fails(checkpoint_dir: Path) -> None:
    _log(2)
    take_checkpoint()
    (checkpoint_dir / FILE_NAME).unlink()
    _fails("the log records checkpoint 1 (event seq 3), but the checkpoint file is missing")


def test_a_checkpoint_file_replaced_by_an_older_copy_fails(checkpoint_dir: Path) -> None:
    _log(2)
    take_checkpoint()
    older = _lines(checkpoint_dir)
    take_checkpoint()
    _write(checkpoint_dir, older)
    _fails("the log records checkpoint 2 (event seq 4), but the checkpoint file has 1 line(s)")


def test_a_forged_checkpoint_line_fails(checkpoint_dir: Path) -> None:
    _log(2)
    take_checkpoint()
    first = json.loads(_lines(checkpoint_dir)[0])
    forged = {**first, "n": 2, "seq": 99, "prev": first["mac"], "mac": "ab" * 32}
    _write(checkpoint_dir, [*_lines(checkpoint_dir), json.dumps(forged) + "\n"])
    _fails("line 2 does not carry a valid signature")


def test_an_edited_checkpoint_line_fails(checkpoint_dir: Path) -> None:
    events = _log(3)
    take_checkpoint()
    line = json.loads(_lines(checkpoint_dir)[0])
    line.update(seq=2, hash=events[1].hash)  # pretend the checkpoint covered less
    _write(checkpoint_dir, [json.dumps(line) + "\n"])
    _fails("line 1 does not carry a valid signature")


def test_a_line_deleted_from_the_middle_of_the_file_fails(checkpoint_dir: Path) -> None:
    for _ in range(3):
        _log(1)
        take_checkpoint()
    lines = _lines(checkpoint_dir)
    _write(checkpoint_dir, [lines[0], lines[2]])
    _fails("line 2 (checkpoint 3) does not follow the line before it")


def test_a_cut_last_line_fails(checkpoint_dir: Path) -> None:
    _log(1)
    take_checkpoint()
    (checkpoint_dir / FILE_NAME).write_text(_lines(checkpoint_dir)[0][:40])
    _fails("line 1 is incomplete")


def test_no_checkpoint_is_written_over_a_damaged_log_or_file(checkpoint_dir: Path) -> None:
    events = _log(3)
    take_checkpoint()
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET detail = 'x' WHERE id = %s", [events[2].pk])
    before = _lines(checkpoint_dir)
    with pytest.raises(CheckpointFileError, match="event seq 3 was altered"):
        take_checkpoint()
    assert _lines(checkpoint_dir) == before
    _write(checkpoint_dir, [before[0].replace('"n":1', '"n":7')])
    with pytest.raises(CheckpointFileError, match="line 1"):
        take_checkpoint()


def test_checkpoint_file_is_read_line_by_line(checkpoint_dir: Path) -> None:
    _log(1)
    first, _ = take_checkpoint()
    second, _ = take_checkpoint()
    file = read_checkpoints()
    assert file.ok and file.exists
    assert file.checkpoints == [first, second]
    assert os.path.samefile(file.path, checkpoint_dir / FILE_NAME)


# --- the commands ---------------------------------------------------------------------------------


def test_audit_checkpoint_prints_one_json_object_last(
    capsys: pytest.CaptureFixture[str], checkpoint_dir: Path
) -> None:
    events = _log(2)
    call_command("audit_checkpoint")
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["seq"] == 2
    assert result["hash"] == events[-1].hash
    assert result["file"] == str(checkpoint_dir / FILE_NAME)
    assert result["checkpoint"] == 1
    assert result["time"].endswith("+00:00")
    assert AuditEvent.objects.filter(action=CHECKPOINT_ACTION).get().channel == "cli"


def test_audit_checkpoint_refuses_a_damaged_file(checkpoint_dir: Path) -> None:
    _log(1)
    checkpoint_dir.mkdir()
    (checkpoint_dir / FILE_NAME).write_text("not json\n")
    with pytest.raises(CommandError, match=r"no checkpoint written: .*line 1 is not valid JSON"):
        call_command("audit_checkpoint")
