"""manage.py audit_verify: exit status 0 on a sound log, 1 on a broken one."""

from __future__ import annotations

import pytest
from django.core.management import execute_from_command_line

from jifen.audit.services import record_event

from .conftest import tampering

# Real transactions: when a command fails, Django's run_from_argv closes the database
# connections, which a test wrapped in one transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)


def test_exits_zero_and_reports_a_sound_log(capsys: pytest.CaptureFixture[str]) -> None:
    events = [record_event(actor=None, action=f"x.{n}") for n in range(3)]
    execute_from_command_line(["manage.py", "audit_verify"])  # returns: exit status 0
    out = capsys.readouterr().out
    assert "audit chain OK: 3 event(s) checked" in out
    assert events[-1].hash in out


def test_exits_one_on_a_broken_chain(capsys: pytest.CaptureFixture[str]) -> None:
    events = [record_event(actor=None, action=f"x.{n}") for n in range(3)]
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET detail = 'x' WHERE id = %s", [events[1].pk])
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "audit_verify"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "audit chain BROKEN" in err
    assert f"event id {events[1].pk}" in err


def test_exits_one_when_the_triggers_are_missing(capsys: pytest.CaptureFixture[str]) -> None:
    record_event(actor=None, action="x.y")
    with tampering(), pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "audit_verify"])
    assert exit_info.value.code == 1
    assert "triggers MISSING" in capsys.readouterr().err


def test_reports_the_checkpoints_after_the_first_line(capsys: pytest.CaptureFixture[str]) -> None:
    [record_event(actor=None, action=f"x.{n}") for n in range(2)]
    execute_from_command_line(["manage.py", "audit_checkpoint"])
    capsys.readouterr()
    execute_from_command_line(["manage.py", "audit_verify"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("audit chain OK: 3 event(s) checked; head seq 3 hash ")
    assert lines[1].startswith("checkpoints OK: 1 in ")
    assert "covers seq 2; 1 event(s) since" in lines[1]


def test_exits_one_on_a_log_emptied_after_a_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    # The report: emptied by any means, the log used to verify as "OK: 0 event(s)".
    [record_event(actor=None, action=f"x.{n}") for n in range(3)]
    execute_from_command_line(["manage.py", "audit_checkpoint"])
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_auditchainhead")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "audit_verify"])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "audit chain OK" not in captured.out
    assert (
        "audit log BROKEN against its checkpoints: checkpoint 1 " in captured.err
        and "covers the log up to event seq 3, but the log ends at seq 0" in captured.err
    )


def test_exits_one_when_the_checkpoint_file_is_gone(
    capsys: pytest.CaptureFixture[str], checkpoint_dir
) -> None:
    record_event(actor=None, action="x.y")
    execute_from_command_line(["manage.py", "audit_checkpoint"])
    for path in checkpoint_dir.iterdir():
        path.unlink()
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "audit_verify"])
    assert exit_info.value.code == 1
    assert "the checkpoint file is missing" in capsys.readouterr().err
