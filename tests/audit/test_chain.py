"""The hash chain and verify_chain()."""

from __future__ import annotations

import itertools
import json

import pytest

from jifen.audit.hashing import GENESIS_HASH
from jifen.audit.models import AuditChainHead, AuditEvent
from jifen.audit.services import record_access, record_event, verify_chain

from .conftest import json_param, tampering

pytestmark = pytest.mark.django_db


def _log(count: int) -> list[AuditEvent]:
    events = []
    for number in range(count):
        if number % 3 == 2:
            events.append(record_access(actor=None, target_type="t.x", target_id="1", field="f"))
        else:
            events.append(
                record_event(
                    actor=None,
                    action=f"step.{number}",
                    before={"n": number},
                    after={"n": number + 1},
                )
            )
    return events


def test_each_event_links_to_the_previous_one() -> None:
    _log(5)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for previous, following in itertools.pairwise(events):
        assert following.prev_hash == previous.hash
    assert len({event.hash for event in events}) == 5
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, events[-1].hash)


def test_clean_log_verifies() -> None:
    assert verify_chain().ok  # empty log
    events = _log(7)
    report = verify_chain()
    assert report.ok
    assert report.checked == 7
    assert report.first_bad_id is None
    assert report.problem == ""
    assert (report.last_seq, report.last_hash) == (7, events[-1].hash)


def test_changed_after_is_detected() -> None:
    events = _log(5)
    victim = events[2 - 1]  # seq 2
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET after = {json_param()} WHERE id = %s",
            [json.dumps({"n": 999}), victim.pk],
        )
    assert AuditEvent.objects.get(pk=victim.pk).after == {"n": 999}

    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == victim.pk
    assert report.checked == 1
    assert "seq 2" in report.problem and "altered" in report.problem


def test_rehashed_row_breaks_the_next_link() -> None:
    # An attacker who also recomputes the changed row's hash breaks the following link.
    events = _log(4)
    victim = AuditEvent.objects.get(pk=events[1].pk)
    victim.detail = "forged"
    forged_hash = victim.compute_hash()
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
            ["forged", forged_hash, victim.pk],
        )
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == events[2].pk
    assert "does not link" in report.problem


def test_deleted_row_is_detected() -> None:
    events = _log(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == events[3].pk
    assert report.checked == 2
    assert "missing" in report.problem


def test_events_cut_off_the_end_are_detected() -> None:
    events = _log(3)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id is None
    assert report.checked == 2
    assert "removed from the end" in report.problem


def test_appending_after_a_lost_head_row_continues_the_chain() -> None:
    events = _log(2)
    AuditChainHead.objects.all().delete()
    report = verify_chain()
    assert not report.ok and "chain head" in report.problem
    third = record_event(actor=None, action="x.next")
    assert (third.seq, third.prev_hash) == (3, events[-1].hash)
    assert verify_chain().ok
