"""Demo: a month of monitoring records (系统监测) — health probes every 5 minutes with one
night's 20-minute outage, the audit chain's verifications every 10 minutes (and the weekly full
one), and the scheduler's runs of those jobs. Synthetic, written with bulk_create.

The verifications point at real events of the demo's audit chain (their ``to_seq`` and
``head_hash``), so that the next incremental verification continues from the last of them;
one real verification is run at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.ops.models import ChainVerification, HealthProbe, ScheduledRun
from jifen.ops.verification import verify_audit_chain

OK_CHECKS = {
    "database": {"status": "ok", "message": ""},
    "cache": {"status": "ok", "message": ""},
    "disk": {"status": "ok", "message": ""},
}
DOWN_CHECKS = {
    "database": {"status": "ok", "message": ""},
    "cache": {"status": "ok", "message": ""},
    "disk": {"status": "error", "message": "磁盘剩余 212 MB，低于下限"},
}


def _outage_start(now: datetime, days: int) -> datetime:
    """02:10 Beijing time, a third of the way into the month."""
    night = timezone.localtime(now - timedelta(days=max(days * 2 // 3, 1)))
    return night.replace(hour=2, minute=10, second=0, microsecond=0)


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    days = int(getattr(settings, "DEMO_MONITORING_DAYS", 30))
    start = (now - timedelta(days=days)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)
    outage_from = _outage_start(now, days)
    outage_to = outage_from + timedelta(minutes=20)

    probes: list[HealthProbe] = []
    runs: list[ScheduledRun] = []
    at = start
    step = 0
    while at < now - timedelta(minutes=5):
        down = outage_from <= at < outage_to
        probes.append(
            HealthProbe(
                at=at,
                ok=not down,
                duration_ms=180 if down else 12 + step % 9,
                checks=DOWN_CHECKS if down else OK_CHECKS,
            )
        )
        done = at + timedelta(seconds=2)
        runs.append(
            ScheduledRun(
                job="health_probe",
                planned_at=at,
                started=at + timedelta(seconds=1),
                finished=done,
                ok=True,
                output="就绪检查未通过：disk" if down else "就绪检查通过",
            )
        )
        at += timedelta(minutes=5)
        step += 1
    HealthProbe.objects.bulk_create(probes, batch_size=2000)

    # Verifications every 10 minutes over the chain as it is (to_seq growing to its head).
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    first = start + timedelta(minutes=start.minute % 10)  # on the cron's */10 minutes
    slots = [first + timedelta(minutes=10 * i) for i in range(days * 144)]
    slots = [slot for slot in slots if slot < now - timedelta(minutes=10)]
    targets = (
        [max(1, round(head * (i + 1) / len(slots))) for i in range(len(slots))] if head else []
    )
    hashes = dict(AuditEvent.objects.filter(seq__in=set(targets)).values_list("seq", "hash"))
    verifications: list[ChainVerification] = []
    previous = 0
    for slot, to_seq in zip(slots, targets, strict=False):
        full = (
            timezone.localtime(slot).weekday() == 6
            and timezone.localtime(slot).hour == 3
            and timezone.localtime(slot).minute == 40
        )
        from_seq = 1 if full or previous == 0 else previous
        verifications.append(
            ChainVerification(
                at=slot,
                from_seq=from_seq,
                to_seq=to_seq,
                head_hash=hashes[to_seq],
                ok=True,
                duration_ms=(to_seq - from_seq) // 40 + 3,
            )
        )
        runs.append(
            ScheduledRun(
                job="audit_chain_verify_full" if full else "audit_chain_verify",
                planned_at=slot,
                started=slot + timedelta(seconds=1),
                finished=slot + timedelta(seconds=2),
                ok=True,
                output=f"审计链完整：校验序号 {from_seq}–{to_seq}",
            )
        )
        previous = to_seq
    ChainVerification.objects.bulk_create(verifications, batch_size=2000)

    # The nightly log rotation, and one failed run (a scheduler restart mid-job) to show.
    for day in range(days):
        midnight = timezone.localtime(start + timedelta(days=day + 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        runs.append(
            ScheduledRun(
                job="rotate_logs",
                planned_at=midnight,
                started=midnight,
                finished=midnight + timedelta(seconds=1),
                ok=day != days // 2,
                output=(
                    "轮转 3 个日志文件，删除 3 个过期日志文件"
                    if day != days // 2
                    else "PermissionError: [Errno 13] Permission denied: 'var/log/access.log'"
                ),
            )
        )
    ScheduledRun.objects.bulk_create(runs, batch_size=2000)
    verify_audit_chain()
    say(
        f"  monitoring: {len(probes)} health probes (outage "
        f"{timezone.localtime(outage_from):%m-%d %H:%M}, 20 min), {len(verifications)} chain "
        f"verifications, {len(runs)} scheduled runs"
    )
