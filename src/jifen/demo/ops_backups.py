"""Demo: a month of backup records (a weekly full backup on Sundays, a daily incremental on
the other days, sizes growing with the data) and two recovery drills, as records; and, when
the demo's transaction commits, one real full backup of the demo database so that the
console's "立即恢复演练" works in ``make run``."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jifen.ops.models import Backup, RecoveryDrill

MB = 1024 * 1024


def load(*, operator: object, now: datetime, say: Callable[[str], None]) -> None:
    rng = random.Random(10)
    local = timezone.localtime(now)
    start = (local - timedelta(days=30)).replace(hour=2, minute=0, second=0, microsecond=0)
    records: list[Backup] = []
    parent: Backup | None = None
    full_size = 160 * MB
    day = start
    while day < local - timedelta(hours=2):
        full = day.weekday() == 6 or parent is None
        kind = Backup.Kind.FULL if full else Backup.Kind.INCREMENTAL
        created = day + timedelta(seconds=rng.randint(0, 40))
        full_size += rng.randint(1, 3) * MB
        size = full_size // 3 if full else rng.randint(2 * MB, 9 * MB) // 3
        backup_id = f"{timezone.localtime(created):%Y%m%d-%H%M%S}-{'F' if full else 'I'}"
        record = Backup(
            backup_id=backup_id,
            kind=kind,
            engine="sqlite",
            parent=None if full else parent,
            created=created,
            finished=created + timedelta(seconds=rng.randint(20, 90) if full else 6),
            bytes=size,
            sha256=f"{rng.getrandbits(256):064x}",
            path=str(settings.BACKUP_DIR / f"demo-{backup_id}.jbk"),
            manifest={"demo": True, "database": {"bytes": full_size}},
        )
        record.save()
        records.append(record)
        parent = record
        day += timedelta(days=1)
    for back, rto in ((29, 48.2), (1, 52.7)):
        started = (local - timedelta(days=back)).replace(hour=3, minute=30, second=0)
        backup = max((r for r in records if r.created < started), key=lambda r: r.created)
        RecoveryDrill.objects.create(
            started=started,
            finished=started + timedelta(seconds=rto),
            ok=True,
            backup=backup,
            rto_seconds=rto,
            rpo_seconds=round((started - backup.created).total_seconds()),
            checks={
                "archives": 1 + (backup.created - start).days % 7,
                "tables": 58,
                "rows": 61000 + back * 10,
                "files": 214,
                "audit_events": 1800,
                "audit_chain": "ok",
                "demo": True,
            },
            actor=operator,
        )
    say(f"  operations: {len(records)} backup records, 2 recovery drills")

    def real_backup() -> None:
        from jifen.ops.backups import services

        with contextlib.suppress(Exception):  # the demo works without it
            services.take_backup(kind=Backup.Kind.FULL, actor=operator)

    transaction.on_commit(real_backup)
