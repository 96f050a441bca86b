"""Incremental verification of the audit chain (审计链校验), recorded as ChainVerification.

Walking the whole hash chain on every page view grows with the log; instead the scheduler
verifies every 10 minutes from the last point verified sound (its ``to_seq`` and
``head_hash``: :func:`jifen.audit.services.verify_chain` re-checks that event still carries that
hash, then walks only the events after it), and once a week the whole chain again (an event
altered behind an earlier verified point is found then, and by the checkpoints outside the
database that the auditor's page compares). A broken chain raises the ``audit_chain`` alert,
which opens an incident. Pages show the last verification (:func:`current_verification`).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from jifen.audit.hashing import GENESIS_HASH
from jifen.audit.services import verify_chain

from . import parameters
from .alerts import raise_alert
from .models import Alert, ChainVerification

ALERT_CODE = "audit_chain"


def last_sound() -> ChainVerification | None:
    """The newest verification that found the chain sound (the next run starts there)."""
    return ChainVerification.objects.filter(ok=True).order_by("-at", "-id").first()


def verify_audit_chain(*, full: bool = False) -> ChainVerification:
    """Verify the chain from the last sound point (or from its first event when ``full`` or
    never verified), record the outcome, and raise the ``audit_chain`` alert when broken."""
    base = None if full else last_sound()
    if base is not None and base.to_seq > 0:
        start_seq, start_hash = base.to_seq, base.head_hash
    else:
        start_seq, start_hash = 0, GENESIS_HASH
    started = time.perf_counter()
    report = verify_chain(start_seq=start_seq, start_hash=start_hash)
    verification = ChainVerification.objects.create(
        at=timezone.now(),
        from_seq=start_seq if start_seq > 0 else (0 if report.ok and not report.last_seq else 1),
        to_seq=report.last_seq,
        head_hash=report.last_hash,
        ok=report.ok,
        problem=report.problem,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    if not report.ok:
        raise_alert(
            source="audit",
            code=ALERT_CODE,
            level=Alert.Level.CRITICAL,
            message=(
                f"审计日志哈希链校验未通过（{'全量' if full else '增量'}校验，"
                f"完好至序号 {report.last_seq}）：{report.problem}"
            ),
            details={
                "verification": verification.pk,
                "from_seq": verification.from_seq,
                "last_good_seq": report.last_seq,
                "first_bad_id": report.first_bad_id,
            },
        )
    return verification


def current_verification() -> ChainVerification:
    """The last verification for a page; a new incremental one (only the events since the
    last) when there is none yet or it is older than ``health_chain_verification_minutes``
    (the scheduler not running)."""
    latest = ChainVerification.objects.order_by("-at", "-id").first()
    limit = timedelta(minutes=parameters.get("health_chain_verification_minutes"))
    if latest is None or timezone.now() - latest.at > limit:
        return verify_audit_chain()
    return latest


def _summary(verification: ChainVerification) -> str:
    if verification.ok:
        return (
            f"审计链完整：校验序号 {verification.from_seq}–{verification.to_seq}，"
            f"用时 {verification.duration_ms} 毫秒"
        )
    return f"审计链校验未通过，完好至序号 {verification.to_seq}：{verification.problem}"


def verify_job() -> str:
    """Scheduled every 10 minutes: the incremental verification."""
    return _summary(verify_audit_chain())


def verify_full_job() -> str:
    """Scheduled weekly: the whole chain again."""
    return _summary(verify_audit_chain(full=True))
