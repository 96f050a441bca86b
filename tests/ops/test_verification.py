"""Incremental verification of the audit chain (jifen.ops.verification)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.audit.services import record_event
from jifen.ops import runner, verification
from jifen.ops.models import Alert, ChainVerification, Incident
from tests.audit.conftest import json_param, tampering

pytestmark = pytest.mark.django_db


def _grow(count: int) -> list[AuditEvent]:
    return [record_event(actor=None, action=f"test.step{n}", after={"n": n}) for n in range(count)]


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_first_run_verifies_everything_then_only_the_new_part() -> None:
    _grow(5)
    first = verification.verify_audit_chain()
    assert first.ok and first.from_seq == 1 and first.to_seq == _last_seq() == 5

    _grow(3)
    second = verification.verify_audit_chain()
    assert second.ok
    assert second.from_seq == 5  # from the last verified point, not from 1
    assert second.to_seq == 8
    assert second.head_hash == AuditEvent.objects.get(seq=8).hash

    third = verification.verify_audit_chain()  # nothing new: only the anchor event
    assert (third.from_seq, third.to_seq, third.ok) == (8, 8, True)
    assert not Alert.objects.exists()


def test_tampered_new_event_is_found_by_the_incremental_run_and_alerts() -> None:
    _grow(4)
    verification.verify_audit_chain()
    events = _grow(3)  # seq 5, 6, 7
    victim = events[1]
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET after = {json_param()} WHERE id = %s",
            [json.dumps({"n": 999}), victim.pk],
        )

    result = verification.verify_audit_chain()

    assert not result.ok
    assert result.from_seq == 4
    assert result.to_seq == 5  # sound up to the event before the altered one
    assert "seq 6" in result.problem and "altered" in result.problem
    alert = Alert.objects.get(code="audit_chain")
    assert alert.level == Alert.Level.CRITICAL
    assert "审计日志哈希链校验未通过" in alert.message and "完好至序号 5" in alert.message
    assert alert.incident.status == Incident.Status.OPEN
    # The next run starts again from the last sound point and still finds it (same incident).
    again = verification.verify_audit_chain()
    assert not again.ok and again.from_seq == 4
    assert Incident.objects.filter(alerts__code="audit_chain").distinct().count() == 1


def test_an_event_altered_behind_the_verified_point_is_found_by_the_full_run() -> None:
    events = _grow(4)
    verification.verify_audit_chain()
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET after = {json_param()} WHERE id = %s",
            [json.dumps({"n": -1}), events[0].pk],
        )
    assert verification.verify_audit_chain().ok  # the incremental run starts at seq 4
    full = verification.verify_audit_chain(full=True)
    assert not full.ok and full.from_seq == 1 and "seq 1" in full.problem


def test_altered_anchor_event_is_found() -> None:
    events = _grow(3)
    verification.verify_audit_chain()
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET after = {json_param()} WHERE id = %s",
            [json.dumps({"n": 7}), events[2].pk],
        )
    result = verification.verify_audit_chain()
    assert not result.ok and "seq 3" in result.problem


def test_current_verification_reuses_a_fresh_one_and_renews_a_stale_one() -> None:
    _grow(2)
    first = verification.current_verification()
    assert verification.current_verification().pk == first.pk
    ChainVerification.objects.filter(pk=first.pk).update(at=timezone.now() - timedelta(hours=2))
    renewed = verification.current_verification()
    assert renewed.pk != first.pk and renewed.from_seq == first.to_seq


def test_scheduled_jobs_record_their_runs() -> None:
    _grow(2)
    run = runner.execute(runner.plan("audit_chain_verify").pk)
    assert run.ok and run.output.startswith("审计链完整：校验序号 1–2")
    full = runner.execute(runner.plan("audit_chain_verify_full").pk)
    assert full.ok and "审计链完整" in full.output
    assert ChainVerification.objects.count() == 2
