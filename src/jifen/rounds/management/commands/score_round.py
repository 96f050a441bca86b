"""manage.py score_round --year Y [--workers N]: the round's scoring run, inline.

A public interface. Scores every application of the round from its verified profile and ranks
them exactly as the bureau's scoring run does (``jifen.rounds.scoring``; no task worker
needed), switching the round's results to the new run when it finishes. On a terminal (stdout
a TTY) a progress bar is drawn on stderr while it works. The last line of stdout is one JSON
object::

    {"year": 2026, "applications": 1000, "scored": 990, "eligible": 985, "incomplete": 10,
     "line": 109.92, "admitted": 6003, "run": 7}

``applications``: those that reached the departments (employer-submitted or imported);
``scored``: those with a complete verification (the others are ``incomplete``, listed apart);
``eligible``: those ranked; ``line``: the admission line, a number with 2 decimals, or null
when nobody can be admitted; ``run``: the scoring run's id.

Phases: the run is allowed while the scoring phase (积分评定) **or** the publication and
objection phase (公示与异议) is open — an operator re-runs the scoring after an objection led to
a correction. At any other time it refuses, in Chinese, naming both windows (exit 1); so does
a run already queued or running for the round. A failed run exits 3 and a stopped one 1; the
round's previous results are then untouched.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jifen.audit.context import audit_context
from jifen.core.errors import Conflict
from jifen.rounds import phases
from jifen.rounds.models import Round, RunState, ScoringRun
from jifen.rounds.scoring import STAGE_NAMES, create_run, execute_run, summary_of

ALLOWED_PHASES = (phases.Phase.SCORING, phases.Phase.PUBLICATION)


def require_scoring_allowed(rnd: Round) -> None:
    """Refuse (Chinese, naming the windows) unless scoring or publication is open."""
    if any(phases.is_open(rnd, p) for p in ALLOWED_PHASES):
        return
    raise CommandError(
        "现在不能进行积分评定：积分评定只能在积分评定阶段或公示与异议阶段进行（"
        + "；".join(phases.describe(rnd, p) for p in ALLOWED_PHASES)
        + "）",
        returncode=1,
    )


class _Bar:
    """A one-line progress bar on stderr, redrawn at most a few times a second."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = ""

    def __call__(self, run: ScoringRun) -> None:
        width = 30
        filled = int(width * run.done / run.total) if run.total else 0
        text = (
            f"\r{STAGE_NAMES.get(run.stage, run.stage)} [{'#' * filled}{'.' * (width - filled)}]"
            f" {run.done:,}/{run.total:,}"
        )
        if text != self.last:
            self.last = text
            self.stream.write(text)
            self.stream.flush()

    def close(self) -> None:
        if self.last:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Score and rank every application of the round of --year from its verified profile "
        "(积分评定), inline; prints the summary JSON last. Allowed in the scoring or the "
        "publication phase."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the round's year")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="scoring processes (default: the number of CPUs; 1 scores in this process)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        rnd = Round.objects.filter(year=year).first()
        if rnd is None:
            raise CommandError(f"没有 {year} 年度的积分落户年度", returncode=1)
        require_scoring_allowed(rnd)
        with audit_context(channel="cli"):
            try:
                with transaction.atomic():
                    run = create_run(actor=None, round=rnd)
            except Conflict as exc:
                raise CommandError(exc.message, returncode=1) from None
            bar = _Bar(sys.stderr) if self.stdout.isatty() else None
            try:
                run = execute_run(run, workers=options["workers"], echo=bar)
            except Exception as exc:
                if bar:
                    bar.close()
                raise CommandError(
                    ScoringRun.objects.get(pk=run.pk).error or str(exc), returncode=3
                ) from None
            if bar:
                bar.close()
        if run.state != RunState.DONE:
            raise CommandError(run.error or "积分评定未完成", returncode=1)
        incomplete = run.summary.get("incomplete", 0)
        self.stdout.write(orjson.dumps(summary_of(run, year, incomplete)).decode())
