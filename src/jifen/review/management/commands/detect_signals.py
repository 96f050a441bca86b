"""manage.py detect_signals --year Y — run the signal detectors on a round (nightly, from cron,
until the scheduler of a later issue runs it; the data comparison runs them too)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.review.models import SignalKind
from jifen.review.signals import detect_signals
from jifen.rounds.models import Round


class Command(BaseCommand):
    help = (
        "Detect signals of duplicates and fraud in a round (the same evidence file or phone "
        "number under different applicants, an employer's tax clustering above the step or "
        "insurance started in a burst, study overlapping insurance). Idempotent. Prints one "
        'line per kind, then one JSON object on the last line: {"year", "new": {kind: n}, '
        '"total": {kind: n}, "open": {kind: n}, "seconds"}. Exit 1 when the round does not exist.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the round's year")

    def handle(self, *args: Any, **options: Any) -> None:
        rnd = Round.objects.filter(year=options["year"]).first()
        if rnd is None:
            raise CommandError(f"没有 {options['year']} 年度的积分落户年度")
        started = time.monotonic()
        counts = detect_signals(rnd)
        seconds = round(time.monotonic() - started, 2)
        for kind in SignalKind:
            c = counts[kind]
            self.stdout.write(
                f"{kind.value}: {c['new']} new, {c['updated']} updated, "
                f"{c['reopened']} reopened, {c['total']} in all ({c['open']} open)"
            )
        summary = {
            "year": rnd.year,
            "new": {k.value: counts[k]["new"] for k in SignalKind},
            "total": {k.value: counts[k]["total"] for k in SignalKind},
            "open": {k.value: counts[k]["open"] for k in SignalKind},
            "seconds": seconds,
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
