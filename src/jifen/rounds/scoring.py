"""The scoring run (积分评定): every application of a round scored from its verified profile
and ranked; the results replace the round's previous ones atomically.

- :func:`start_run` (the bureau, in the scoring phase): a queued run and a django-tasks task
  (``jifen.rounds.tasks.score_round_task``) that a ``manage.py task_worker`` carries out;
- :func:`execute_run`: the work itself (the task, and ``manage.py score_round`` inline);
- :func:`request_stop`: asks a queued or running run to stop (it stops between chunks).

How a run works, for a million applications: the applications that reached the departments
(employer-submitted or imported) are read in one streamed query with the newest first result's
verified profile as JSON text (no model instances); chunks are scored by the rules engine in
worker processes (``score_rows``); the eligible ones are ranked by the rule set's ranking
(``rs.ranking.with_quota(round.quota)``); the rows are written under the run's id (COPY on
PostgreSQL, ``executemany`` elsewhere) while the round still points at its previous run; then
ONE transaction marks the run done and switches ``round.current_run``; only then are the old
run's rows deleted. A run that fails or is stopped deletes its own rows and leaves the round's
results untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jifen.applications.models import Application, Status
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, NotFound
from jifen.review.models import FirstResult, ItemState, RecheckState, VerificationItem
from jifen.rules import load_rule_set
from jifen.rules.ranking import Candidate, rank

from . import phases
from .models import RankedResult, Round, RunState, ScoringRun
from .score_rows import Row, Scored, score_chunks

log = logging.getLogger(__name__)

CHUNK = 5000  # applications a chunk: the unit of progress, stopping and a worker's task
WRITE_CHUNK = 20000
ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)
STOP_ACTION = "rounds.scoring_stop"
FAIL_ACTION = "rounds.scoring_fail"

STAGE_NAMES = {
    "": "排队中",
    "reading": "读取核验结果",
    "scoring": "计算积分",
    "ranking": "排名",
    "writing": "写入结果",
    "switching": "切换结果",
    "done": "已完成",
}


class RunStopped(Exception):
    """The bureau asked the run to stop (checked between chunks)."""


# ---- starting and stopping -------------------------------------------------------------


def active_run(rnd: Round) -> ScoringRun | None:
    return (
        ScoringRun.objects.filter(round=rnd, kind="score", state__in=ACTIVE_STATES)
        .order_by("-id")
        .first()
    )


def _refuse_second(rnd: Round) -> None:
    running = active_run(rnd)
    if running is not None:
        raise Conflict(
            f"{rnd.year}年度已有一个积分评定批次（第 {running.pk} 号）"
            f"{RunState(running.state).label}，请等它结束或先停止它"
        )


@transaction.atomic
def create_run(*, actor: Any, round: Round) -> ScoringRun:
    """A queued run of ``round`` (no phase check: callers decide which phase they allow)."""
    # Lock the round: two bureau users pressing 开始 at once make one run, not two. Its rule
    # set and quota as stored now (not as the caller's copy has them).
    locked = Round.objects.select_for_update().get(pk=round.pk)
    _refuse_second(locked)
    rs = load_rule_set(locked.rule_set)
    run = ScoringRun.objects.create(
        round=locked,
        kind="score",
        state=RunState.QUEUED,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        rule_set=rs.id,
        rule_set_version=rs.version,
        quota=locked.quota,
    )
    record_event(
        actor=actor,
        action="rounds.scoring_start",
        target=run,
        after={"year": locked.year, "rule_set": rs.id, "quota": locked.quota},
    )
    return run


@transaction.atomic
def start_run(*, actor: Any, round: Round) -> ScoringRun:
    """Queue a scoring run of ``round`` for the task worker (the scoring phase must be open;
    one run at a time per round)."""
    phases.require_open(round, phases.Phase.SCORING)
    run = create_run(actor=actor, round=round)
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import score_round_task

    result = score_round_task.enqueue(run_id)
    # The immediate backend (tests) has run it already; the task id is kept for operators.
    ScoringRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])


@transaction.atomic
def request_stop(*, actor: Any, run: ScoringRun) -> ScoringRun:
    """Ask ``run`` to stop: a queued run stops at once, a running one between two chunks.

    Asked a second time, a running run is marked stopped at once (its worker may have died:
    a restart takes the task with it, and the round would wait for it for ever); should the
    worker still be alive, it finds the request at its next check and never switches the
    round's results to its own (the switch re-reads ``stop_requested`` under a lock)."""
    run = ScoringRun.objects.select_for_update().get(pk=run.pk)
    if run.state not in ACTIVE_STATES:
        raise Conflict(f"该积分评定批次{RunState(run.state).label}，无需停止")
    forced = False
    if run.state == RunState.QUEUED:
        run.state = RunState.STOPPED
        run.finished_at = timezone.now()
        run.error = "开始前已停止"
    elif run.stop_requested:
        forced = True
        run.state = RunState.STOPPED
        run.finished_at = timezone.now()
        run.error = "已强制停止（处理进程没有响应），本年度原有结果未改变"
        _delete_results(run.pk)
    run.stop_requested = True
    run.save(update_fields=["state", "stop_requested", "finished_at", "error"])
    record_event(
        actor=actor,
        action="rounds.scoring_stop_request",
        target=run,
        after={"year": run.round.year, "state": run.state, "forced": forced},
    )
    return run


def run_of(round: Round, run_id: int) -> ScoringRun:
    run = ScoringRun.objects.filter(round=round, pk=run_id, kind="score").first()
    if run is None:
        raise NotFound("没有这个积分评定批次")
    return run


# ---- the work ------------------------------------------------------------------------------


class _Progress:
    """Writes the run's stage and counts to its row (a page polls them), at most every
    ``every`` seconds, and checks whether a stop was asked."""

    def __init__(
        self, run: ScoringRun, every: float = 0.5, echo: Callable[[ScoringRun], None] | None = None
    ) -> None:
        self.run = run
        self.every = every
        self.last = 0.0
        self.echo = echo

    def stage(self, stage: str, total: int) -> None:
        self.run.stage = stage
        self.run.total = total
        self.run.done = 0
        self.run.summary = {"stage_started_at": timezone.now().isoformat()}
        self._write(force=True)

    def advance(self, done: int, force: bool = False) -> None:
        self.run.done = done
        self._write(force)

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            ScoringRun.objects.filter(pk=self.run.pk).update(
                stage=self.run.stage,
                total=self.run.total,
                done=self.run.done,
                summary=self.run.summary,
            )
        if self.echo is not None:
            self.echo(self.run)

    def show(self, done: int) -> None:
        """Only the terminal's bar: inside the writing transaction the run's row is left alone
        (an update there would hold its lock until the commit, and a stop request would wait)."""
        self.run.done = done
        if self.echo is not None:
            self.echo(self.run)

    def check_stop(self) -> None:
        if ScoringRun.objects.filter(pk=self.run.pk, stop_requested=True).exists():
            raise RunStopped


def _rows_sql() -> str:
    """Each application that reached the departments, with its newest first result's verified
    profile (JSON text) and whether an item is still open, in the applications' id order."""
    app = Application._meta.db_table
    fr = FirstResult._meta.db_table
    item = VerificationItem._meta.db_table
    open_item = (
        f"EXISTS (SELECT 1 FROM {item} i WHERE i.application_id = a.id AND ("
        f"i.state = %s OR i.latest_decision_id IS NULL OR i.recheck IN (%s, %s)))"
    )
    if connection.vendor == "postgresql":
        # The newest result by a LATERAL index scan, in the applications' id order: no hash
        # join and no sort of the profiles (at 100,000 applications the join's plan sorted
        # 98 MB on disk and took 8.1 s; this one 4.2 s; at a million, a sort of a GB).
        return (
            f"SELECT a.id, a.number, fr.id, fr.profile::text, {open_item} "
            f"FROM {app} a LEFT JOIN LATERAL (SELECT f.id, f.profile FROM {fr} f "
            f"WHERE f.application_id = a.id ORDER BY f.id DESC LIMIT 1) fr ON TRUE "
            f"WHERE a.round_id = %s AND a.status = %s ORDER BY a.id"
        )
    return (
        f"SELECT a.id, a.number, fr.id, fr.profile, {open_item} "
        f"FROM {app} a LEFT JOIN {fr} fr ON fr.id = "
        f"(SELECT MAX(f.id) FROM {fr} f WHERE f.application_id = a.id) "
        f"WHERE a.round_id = %s AND a.status = %s ORDER BY a.id"
    )


def _read_rows(rnd: Round) -> Iterator[list[Row]]:
    """The rows in chunks of ``CHUNK``, streamed (a server-side cursor on PostgreSQL)."""
    params = [
        ItemState.WAITING,
        RecheckState.OPEN,
        RecheckState.ONSITE,
        rnd.pk,
        Status.EMPLOYER_SUBMITTED,
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(_rows_sql(), params)
        while True:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                return
            # Items missing altogether (opened later) count as open: no first result anyway.
            yield [(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


def _number_key(no: str) -> tuple[int, str]:
    return (int(no) if no.isdigit() else 0, no)


def _cents(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-2)


COLUMNS = (
    "run_id",
    "application_id",
    "application_no",
    "position",
    "status",
    "eligible",
    "total",
    "indicators",
    "reasons",
    "reasons_zh",
    "rank",
    "admitted",
    "birth_month",
    "first_result_id",
)


def _write_rows(run: ScoringRun, rows: Iterator[tuple[Any, ...]], progress: _Progress) -> int:
    """Insert RankedResult rows (tuples in ``COLUMNS`` order minus run_id): COPY on PostgreSQL,
    ``executemany`` in chunks elsewhere; in one transaction of their own (all or none; the
    round does not point at the run yet, so nobody reads them before the switch)."""
    with transaction.atomic():
        return _insert_rows(run, rows, progress)


def _insert_rows(run: ScoringRun, rows: Iterator[tuple[Any, ...]], progress: _Progress) -> int:
    table = RankedResult._meta.db_table
    written = 0
    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((run.pk, *row))
                written += 1
                if written % WRITE_CHUNK == 0:
                    progress.show(written)
        return written
    sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append((run.pk, *row))
            if len(batch) >= WRITE_CHUNK:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch.clear()
                progress.show(written)
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def _delete_results(run_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RankedResult._meta.db_table} WHERE run_id = %s", [run_id])


def execute_run(
    run: ScoringRun,
    *,
    workers: int | None = None,
    echo: Callable[[ScoringRun], None] | None = None,
) -> ScoringRun:
    """Carry out a queued ``run`` (see the module's docstring). Returns the run as it ended:
    done, stopped or failed (the error on the run, and the exception re-raised for a failure
    so that the task framework records it too)."""
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().select_related("round").get(pk=run.pk)
        if run.state != RunState.QUEUED:
            return run  # stopped before it started, or picked up twice
        run.state = RunState.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["state", "started_at"])
    rnd = run.round
    progress = _Progress(run, echo=echo)
    try:
        outcome = _work(run, rnd, progress, workers)
    except RunStopped:
        _finish_unsuccessful(run, RunState.STOPPED, "已按要求停止，本年度原有结果未改变")
        return run
    except Exception as exc:
        log.exception("scoring run %s failed", run.pk)
        _finish_unsuccessful(
            run,
            RunState.FAILED,
            f"积分评定出错，本年度原有结果未改变（{type(exc).__name__}: {exc}）"[:2000],
        )
        raise
    _switch(run, rnd, outcome)
    return run


def _work(run: ScoringRun, rnd: Round, progress: _Progress, workers: int | None) -> dict[str, Any]:
    rs = load_rule_set(run.rule_set or rnd.rule_set)
    rule = rs.ranking.with_quota(run.quota or rnd.quota)
    tie_keys = [tb.key for tb in rule.tie_breaks]
    total = Application.objects.filter(round=rnd, status=Status.EMPLOYER_SUBMITTED).count()
    progress.stage("scoring", total)

    scored: list[Scored] = []

    def chunks() -> Iterator[list[Row]]:
        for chunk in _read_rows(rnd):
            progress.check_stop()
            yield chunk

    for part in score_chunks(chunks(), rs.id, tie_keys, workers):
        scored.extend(part)
        progress.advance(len(scored))
    progress.advance(len(scored), force=True)
    progress.check_stop()

    progress.stage("ranking", len(scored))
    # The ranking names entries by application number; numbers are unique in a round, but a
    # list per number keeps every row even if two ever shared one.
    by_no: dict[str, list[int]] = {}
    eligible = [s for s in scored if s.status == "scored" and s.eligible]
    for i, s in enumerate(scored):
        if s.status == "scored" and s.eligible:
            by_no.setdefault(s.application_no, []).append(i)
    outcome = rank(
        (Candidate(s.application_no, s.total_cents, s.ties) for s in eligible),  # type: ignore[arg-type]
        rule,
    )
    ineligible = sorted(
        (s for s in scored if s.status == "scored" and not s.eligible),
        key=lambda s: _number_key(s.application_no),
    )
    incomplete = sorted(
        (s for s in scored if s.status == "incomplete"),
        key=lambda s: _number_key(s.application_no),
    )
    progress.check_stop()

    def listing() -> Iterator[tuple[Any, ...]]:
        position = 0
        for entry in outcome.entries:
            s = scored[by_no[entry.application_no].pop()]
            position += 1
            yield (
                s.application_id,
                s.application_no,
                position,
                "ranked",
                True,
                _cents(s.total_cents),
                s.indicators,
                s.reasons,
                s.reasons_zh,
                entry.rank,
                entry.admitted,
                s.birth_month,
                s.first_result_id,
            )
        for s in ineligible:
            position += 1
            yield (
                s.application_id,
                s.application_no,
                position,
                "ineligible",
                False,
                _cents(s.total_cents),
                s.indicators,
                s.reasons,
                s.reasons_zh,
                None,
                False,
                s.birth_month,
                s.first_result_id,
            )
        for s in incomplete:
            position += 1
            yield (
                s.application_id,
                s.application_no,
                position,
                "incomplete",
                False,
                None,
                s.indicators,
                s.reasons,
                s.reasons_zh,
                None,
                None,
                s.birth_month,
                s.first_result_id,
            )

    progress.stage("writing", len(scored))
    written = _write_rows(run, listing(), progress)
    progress.advance(written, force=True)
    line = outcome.line_cents
    return {
        "applications": len(scored),
        "scored": len(scored) - len(incomplete),
        "eligible": len(eligible),
        "ineligible": len(ineligible),
        "incomplete": len(incomplete),
        "line": None if line is None else _cents(line),
        "admitted": outcome.admitted,
        "method": rule.method,
        "quota": rule.quota,
    }


def _switch(run: ScoringRun, rnd: Round, outcome: dict[str, Any]) -> None:
    """ONE transaction: the run done with its outcome and the round's results switched to it;
    then the previous run's rows go."""
    run.stage = "switching"
    ScoringRun.objects.filter(pk=run.pk).update(stage="switching")
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=rnd.pk)
        previous = locked.current_run_id
        fresh = ScoringRun.objects.select_for_update().get(pk=run.pk)
        if fresh.stop_requested:
            raise_stop = True
        else:
            raise_stop = False
            line = outcome["line"]
            run.state = RunState.DONE
            run.stage = "done"
            run.done = run.total = outcome["applications"]
            run.applications = outcome["applications"]
            run.scored = outcome["scored"]
            run.eligible = outcome["eligible"]
            run.line = line
            run.admitted = outcome["admitted"]
            run.summary = summary_of(run, rnd.year, outcome["incomplete"])
            run.finished_at = timezone.now()
            run.error = ""
            run.save()
            locked.current_run = run
            locked.save(update_fields=["current_run"])
            rnd.current_run = run
            record_event(
                actor=run.started_by,
                action="rounds.scoring_finish",
                target=run,
                before={"current_run": previous},
                after={**run.summary, "ineligible": outcome["ineligible"]},
            )
    if raise_stop:
        _finish_unsuccessful(run, RunState.STOPPED, "已按要求停止，本年度原有结果未改变")
        return
    if previous and previous != run.pk:
        _delete_results(previous)


def summary_of(run: ScoringRun, year: int, incomplete: int) -> dict[str, Any]:
    """The summary JSON of ``manage.py score_round`` (key order is the contract)."""
    return {
        "year": year,
        "applications": run.applications,
        "scored": run.scored,
        "eligible": run.eligible,
        "incomplete": incomplete,
        "line": None if run.line is None else float(run.line),
        "admitted": run.admitted,
        "run": run.pk,
    }


def _finish_unsuccessful(run: ScoringRun, state: str, error: str) -> None:
    """A failed or stopped run: its own rows deleted, the round untouched."""
    try:
        _delete_results(run.pk)
    except Exception:  # the database itself may be what failed; the rows are never current
        log.exception("could not delete the rows of scoring run %s", run.pk)
    with transaction.atomic():
        ScoringRun.objects.filter(pk=run.pk).update(
            state=state, error=error, finished_at=timezone.now(), stage=run.stage
        )
        record_event(
            actor=run.started_by,
            action=STOP_ACTION if state == RunState.STOPPED else FAIL_ACTION,
            target=run,
            after={"state": state, "stage": run.stage, "done": run.done, "total": run.total},
            detail=error,
        )
    run.state = state
    run.error = error


def abandon_run(run_id: int, *, reason: str) -> None:
    """The task worker carrying ``run_id`` died (jifen.ops.task_workers): the run is marked
    failed, its rows deleted and the round's results left as they were. A worker that is in
    fact alive finds ``stop_requested`` and never switches the round to its rows."""
    run = ScoringRun.objects.filter(pk=run_id, state__in=ACTIVE_STATES).first()
    if run is None:
        return
    ScoringRun.objects.filter(pk=run_id).update(stop_requested=True)
    _finish_unsuccessful(run, RunState.FAILED, f"积分评定未完成：{reason}。本年度原有结果未改变")


# ---- reads for the progress page and the API ---------------------------------------------


def status_of(run: ScoringRun, now: datetime | None = None) -> dict[str, Any]:
    """The run's progress as the page's JSON: stage, counts, rate a second and time left."""
    now = now or timezone.now()
    rate = None
    left = None
    started = None
    if run.state == RunState.RUNNING:
        started_text = (run.summary or {}).get("stage_started_at")
        if started_text:
            started = datetime.fromisoformat(started_text)
        elif run.started_at:
            started = run.started_at
    if started is not None:
        seconds = max((now - started).total_seconds(), 0.001)
        if run.done:
            per_second = run.done / seconds
            rate = round(per_second) if per_second >= 10 else round(per_second, 1)
            left = round(max(run.total - run.done, 0) / rate) if rate else None
    percent = int(run.done * 100 / run.total) if run.total else 0
    finished = run.state not in ACTIVE_STATES
    return {
        "run": run.pk,
        "state": run.state,
        "state_name": RunState(run.state).label,
        "stage": run.stage,
        "stage_name": STAGE_NAMES.get(run.stage, run.stage),
        "done": run.done,
        "total": run.total,
        "percent": 100 if run.state == RunState.DONE else percent,
        "rate": rate,
        "seconds_left": left,
        "finished": finished,
        "stop_requested": run.stop_requested,
        "error": run.error,
        "outcome": run.summary if run.state == RunState.DONE else None,
    }


def rows_of(runs: Sequence[ScoringRun]) -> list[dict[str, Any]]:
    return [status_of(r) for r in runs]
