"""Data comparison (数据比对): a department's complete records of one kind against every
application of the round that its employer has submitted.

Three stages, so that a refused file changes nothing and a crash leaves nothing half-written:
1. read and check the whole file (``record_files``; every bad row is reported, nothing applied);
2. compare, application by application, in chunks (no writes but the progress of the run);
3. write every decision and item state in one transaction (``ledger.append_comparisons``).
Then the applications the comparison completed are scored (``results.score_completed``); the
run is ``done`` once they are (``running`` until then, with its summary already written).
One comparison of a kind runs at a time in a round (``start_run`` refuses a second).

The source is behind ``sources.RecordSource`` (a file today, a department's service later).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.applications import declaration as decl
from jifen.applications.models import Application, Status
from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.core.errors import Conflict
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase, require_open
from jifen.rules import load_rule_set

from . import ledger, records, results
from .kinds import KIND_DEPARTMENT, KIND_SECTION
from .models import ComparisonRun, RunState, VerificationItem
from .record_files import RecordFileError
from .services import open_items
from .signals import detect_signals
from .sources import RecordSource

CHUNK = 2000
# Applications scored between two progress writes of the scoring stage.
SCORE_CHUNK = 2000
# A running run with no progress for this long was cut off (its process ended): it is marked
# failed when the next comparison of its kind starts, instead of blocking it for ever. The
# longest silence of a live run is its writing transaction.
STALE_AFTER = timedelta(minutes=15)
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
        ComparisonRun.objects.filter(pk=self.run.pk).update(
            stage=stage, done=done, total=total, progress_at=timezone.now()
        )


def is_stale(run: ComparisonRun, *, now: Any = None) -> bool:
    """A running run that has written no progress for ``STALE_AFTER``."""
    now = now or timezone.now()
    return run.state == RunState.RUNNING and (run.progress_at or run.started_at) < now - STALE_AFTER


def running_run(round_: Round, kind: str) -> ComparisonRun | None:
    """The comparison of ``kind`` running in ``round_`` (a stale one is marked failed)."""
    run = ComparisonRun.objects.filter(round=round_, kind=kind, state=RunState.RUNNING).first()
    if run is not None and is_stale(run):
        ComparisonRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
            state=RunState.FAILED,
            failure="比对中断（长时间没有进展，处理进程可能已重启），结果未写入，请重新上传",
            finished_at=timezone.now(),
        )
        return None
    return run


def running_conflict(run: ComparisonRun) -> Conflict:
    return Conflict(
        f"{run.round.year} 年度的{run.get_kind_display()}数据比对正在进行中"
        f"（第 {run.pk} 号），请等它完成后再上传",
        code="comparison_running",
    )


@transaction.atomic
def start_run(
    *, round_: Round, kind: str, actor: Any = None, file_name: str = "", sha256: str = "",
    size: int = 0, source: str = "file",
) -> ComparisonRun:
    """The run's row, committed at once (unless the caller holds a transaction) so that its
    progress can be watched. Conflict while another comparison of ``kind`` runs in the round."""
    # A department's records are compared while the round is in verification (部门核验).
    require_open(round_, Phase.VERIFICATION)
    # The round's row serialises the starts of its comparisons (the database's constraint
    # one_running_comparison_per_kind backs this up).
    Round.objects.select_for_update().filter(pk=round_.pk).exists()
    running = running_run(round_, kind)
    if running is not None:
        raise running_conflict(running)
    return ComparisonRun.objects.create(
        round=round_,
        kind=kind,
        department=KIND_DEPARTMENT[kind],
        source=source,
        file_name=file_name[:200],
        sha256=sha256,
        size=size,
        started_by=actor if getattr(actor, "pk", None) else None,
        progress_at=timezone.now(),
    )


def _declared_fragments(
    apps: list[tuple[Any, ...]], *, kind: str, year: int, rule_set: str
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """``(app, declared)`` for rows ``(id, number, section, sex, id_index)``: ``section`` is
    the declaration's section that ``kind`` is declared in (read alone: a whole declaration
    is ten times the JSON to decode), so the profile holds that section and nothing else."""
    key = KIND_SECTION[kind]
    for app in apps:
        section = app[2]
        # The person's fields play no part in any kind but the conditions: no decryption.
        profile = decl.to_profile(
            {} if section is None else {key: section}, year=year, rule_set=rule_set,
            application_no=app[1], id_number="", name="", sex=app[3], birth_date="",
        )
        yield app, records.declared(kind, profile)


def run_comparison(run: ComparisonRun, source: RecordSource) -> ComparisonRun:
    """Carry out ``run`` (made by ``start_run``) with the records of ``source``.

    A refused file: the run is marked refused with its errors, and RecordFileError is raised
    again (listing every problem); nothing else is written.
    """
    rnd = run.round
    kind = run.kind
    if run.state != RunState.RUNNING:
        raise Conflict("该次数据比对已经结束，不能再次执行", code="comparison_finished")
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

    progress("comparing", 0, 0, force=True)
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
        # By ranges of ids, not lists of 2,000 of them (PostgreSQL's driver spends more time
        # on such a query's text than the database on the query).
        lo, hi = chunk[0], chunk[-1]
        wanted = set(chunk)
        apps = [
            app
            for app in submitted.filter(id__gte=lo, id__lte=hi).values_list(
                "id", "number", f"data__{KIND_SECTION[kind]}", "applicant__sex",
                "applicant__id_index",
            )
            if app[0] in wanted
        ]
        items = {
            a: (i, d)
            for i, a, d in VerificationItem.objects.filter(
                round=rnd, kind=kind, application_id__gte=lo, application_id__lte=hi
            ).values_list("id", "application_id", "latest_decision_id")
        }
        for app, declared in _declared_fragments(
            apps, kind=kind, year=rnd.year, rule_set=rnd.rule_set
        ):
            value = records.recorded(kind, by_index.get(app[4], ()))
            same = records.same(kind, declared, value)
            matched += same
            item_id, latest = items[app[0]]
            entries.append(ledger.ComparedItem(item_id, app[0], latest, value, same))
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
        ledger.append_comparisons(entries, kind=kind, comparison=locked, now=now)
        # Still running: the decisions are written, the first results are not yet.
        ComparisonRun.objects.filter(pk=run.pk).update(
            summary=summary, stage="scoring", done=0, total=total, progress_at=timezone.now()
        )
        record_event(
            actor=run.started_by, action="review.compare", target=run,
            after={**summary, "sha256": run.sha256, "file_name": run.file_name},
        )
    del entries
    progress("scoring", 0, total, force=True)
    for start in range(0, total, SCORE_CHUNK):
        # Not kept: the last kind of a round completes every application, and 100,000s of
        # results with their explanations need not be in memory at once (the message centre
        # is told by score_completed, chunk by chunk).
        results.score_completed(app_ids[start : start + SCORE_CHUNK])
        progress("scoring", min(start + SCORE_CHUNK, total), total)
    # The department's new records may raise or settle signals (never a score by themselves).
    progress("signals", total, total, force=True)
    detect_signals(run.round)
    ComparisonRun.objects.filter(pk=run.pk).update(
        state=RunState.DONE, stage="done", done=total, total=total,
        progress_at=timezone.now(), finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def summary_of(run: ComparisonRun) -> dict[str, Any]:
    """The public summary (``compare_records``' last line), keys in the spec's order."""
    return {key: run.summary[key] for key in SUMMARY_KEYS}
