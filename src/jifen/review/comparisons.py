"""Data comparison (数据比对): a department's complete records of one kind against every
application of the round that its employer has submitted.

Three stages, so that a refused file changes nothing and a crash leaves nothing half-written:
1. read and check the whole file (``record_files``; every bad row is reported, nothing applied);
2. compare, application by application, in chunks (no writes but the progress of the run);
3. write every decision and item state in one transaction (``ledger.append_comparisons``).
Then the applications the comparison completed are scored (``results.score_completed``).

The source is behind ``sources.RecordSource`` (a file today, a department's service later).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.applications import declaration as decl
from jifen.applications.models import Application, Status
from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.rounds.models import Round
from jifen.rules import load_rule_set

from . import ledger, records, results
from .kinds import KIND_DEPARTMENT
from .models import ComparisonRun, RunState, VerificationItem
from .record_files import RecordFileError
from .services import open_items
from .sources import RecordSource

CHUNK = 2000
# Errors kept on the run for the page (the command prints them all).
STORED_ERRORS = 1000
# The summary's keys, in the order of the spec's example.
SUMMARY_KEYS = ("kind", "rows", "persons", "applications", "matched", "different", "not_in_round")


class _Progress:
    """Writes a run's progress at most every ``interval`` seconds (outside any transaction)."""

    def __init__(self, run: ComparisonRun, interval: float = 0.5) -> None:
        self.run, self.interval, self.last = run, interval, 0.0

    def __call__(self, stage: str, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        ComparisonRun.objects.filter(pk=self.run.pk).update(stage=stage, done=done, total=total)


def start_run(
    *, round_: Round, kind: str, actor: Any = None, file_name: str = "", sha256: str = "",
    size: int = 0, source: str = "file",
) -> ComparisonRun:
    """The run's row, committed at once so that its progress can be watched."""
    return ComparisonRun.objects.create(
        round=round_,
        kind=kind,
        department=KIND_DEPARTMENT[kind],
        source=source,
        file_name=file_name[:200],
        sha256=sha256,
        size=size,
        started_by=actor if getattr(actor, "pk", None) else None,
    )


def _declared_fragments(
    apps: list[dict[str, Any]], *, kind: str, year: int, rule_set: str
) -> Iterator[tuple[dict[str, Any], Any]]:
    for app in apps:
        # The person's fields play no part in any kind but the conditions: no decryption.
        profile = decl.to_profile(
            app["data"], year=year, rule_set=rule_set, application_no=app["number"],
            id_number="", name="", sex=app["applicant__sex"], birth_date="",
        )
        yield app, records.declared(kind, profile)


def run_comparison(run: ComparisonRun, source: RecordSource) -> ComparisonRun:
    """Carry out ``run`` (made by ``start_run``) with the records of ``source``.

    A refused file: the run is marked refused with its errors, and RecordFileError is raised
    again (listing every problem); nothing else is written.
    """
    rnd = run.round
    kind = run.kind
    rule_set = load_rule_set(rnd.rule_set)
    progress = _Progress(run)
    try:
        parsed = source.fetch(
            rule_set=rule_set, progress=lambda done, total: progress("reading", done, total)
        )
    except RecordFileError as exc:
        errors = exc.errors
        ComparisonRun.objects.filter(pk=run.pk).update(
            state=RunState.REFUSED,
            errors=[
                {"line": e.line, "column": e.column, "message": e.message,
                 "message_zh": e.message_zh}
                for e in errors[:STORED_ERRORS]
            ],
            error_count=len(errors),
            finished_at=timezone.now(),
        )
        record_event(
            actor=run.started_by, action="review.compare_refused", target=run,
            after={"kind": kind, "errors": len(errors), "sha256": run.sha256},
        )
        raise

    by_index = {crypto.blind_index(number): rows for number, rows in parsed.by_person.items()}
    in_round = set(
        Application.objects.filter(round=rnd).values_list("applicant__id_index", flat=True)
    )
    not_in_round = sum(1 for idx in by_index if idx not in in_round)
    del in_round

    submitted = Application.objects.filter(round=rnd, status=Status.EMPLOYER_SUBMITTED)
    app_ids = list(submitted.order_by("id").values_list("id", flat=True))
    lacking = set(app_ids) - set(
        VerificationItem.objects.filter(round=rnd, kind=kind).values_list(
            "application_id", flat=True
        )
    )
    if lacking:
        open_items(sorted(lacking))

    entries: list[ledger.ComparedItem] = []
    matched = 0
    total = len(app_ids)
    for start in range(0, total, CHUNK):
        chunk = app_ids[start : start + CHUNK]
        apps = list(
            Application.objects.filter(id__in=chunk).values(
                "id", "number", "data", "applicant__sex", "applicant__id_index"
            )
        )
        items = {
            a: (i, d)
            for i, a, d in VerificationItem.objects.filter(
                application_id__in=chunk, kind=kind
            ).values_list("id", "application_id", "latest_decision_id")
        }
        for app, declared in _declared_fragments(
            apps, kind=kind, year=rnd.year, rule_set=rnd.rule_set
        ):
            value = records.recorded(kind, by_index.get(app["applicant__id_index"], ()))
            same = records.same(kind, declared, value)
            matched += same
            item_id, latest = items[app["id"]]
            entries.append(ledger.ComparedItem(item_id, app["id"], latest, value, same))
        progress("comparing", min(start + CHUNK, total), total)

    progress("writing", 0, total, force=True)
    now = timezone.now()
    summary = {
        "kind": kind,
        "rows": parsed.rows,
        "persons": len(parsed.by_person),
        "applications": total,
        "matched": matched,
        "different": total - matched,
        "not_in_round": not_in_round,
    }
    with transaction.atomic():
        locked = ComparisonRun.objects.select_for_update().get(pk=run.pk)
        for start in range(0, len(entries), CHUNK):
            ledger.append_comparisons(
                entries[start : start + CHUNK], kind=kind, comparison=locked, now=now
            )
        ComparisonRun.objects.filter(pk=run.pk).update(
            state=RunState.DONE, summary=summary, stage="scoring", done=0, total=total,
            finished_at=timezone.now(),
        )
        record_event(
            actor=run.started_by, action="review.compare", target=run,
            after={**summary, "sha256": run.sha256, "file_name": run.file_name},
        )
    del entries
    made = results.score_completed(app_ids)
    after_scoring(run, made)
    ComparisonRun.objects.filter(pk=run.pk).update(stage="done", done=total, total=total)
    run.refresh_from_db()
    return run


# Called with the new first results once a comparison's applications are scored (the message
# centre tells their applicants; the signals are looked for again).
AFTER_SCORING: list[Callable[[ComparisonRun, list[Any]], None]] = []


def after_scoring(run: ComparisonRun, made: list[Any]) -> None:
    for hook in AFTER_SCORING:
        hook(run, made)


def summary_of(run: ComparisonRun) -> dict[str, Any]:
    """The public summary (``compare_records``' last line), keys in the spec's order."""
    return {key: run.summary[key] for key in SUMMARY_KEYS}
