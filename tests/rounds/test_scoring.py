"""The scoring run through the service: ranking edge cases, listing apart, atomic replace,
stop, re-run and progress (jifen.rounds.scoring)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, OutsideWindow
from jifen.core.roles import Role
from jifen.rounds import score_rows, scoring
from jifen.rounds.models import RankedResult, Round, RunState, ScoringRun
from tests.factories import make_staff
from tests.rounds.scoring_world import (
    add_unverified,
    add_verified,
    base_world,
    open_scoring,
)

pytestmark = pytest.mark.django_db


def listing(run: ScoringRun) -> list[tuple]:
    return list(
        RankedResult.objects.filter(run=run)
        .order_by("position")
        .values_list("application_no", "status", "total", "rank", "admitted")
    )


def run_now(rnd: Round, **kwargs) -> ScoringRun:
    run = scoring.create_run(actor=None, round=rnd)
    return scoring.execute_run(run, workers=1, **kwargs)


def test_ties_at_the_line_share_rank_and_are_all_admitted_listed_by_number() -> None:
    base = base_world()  # 26000001: 140.75
    rnd = base.app.round
    add_verified(base, "26900009", "no_innovation")  # 136.75
    add_verified(base, "26900003", "low_tax")  # 136.75
    add_verified(base, "26900004", "no_honours")  # 120.75
    add_verified(base, "26900005", "bare")  # 116.75
    Round.objects.filter(pk=rnd.pk).update(quota=2)
    rnd.refresh_from_db()
    run = run_now(rnd)
    assert run.state == RunState.DONE
    assert listing(run) == [
        (base.app.number, "ranked", Decimal("140.75"), 1, True),
        ("26900003", "ranked", Decimal("136.75"), 2, True),  # the tie at the line: by number
        ("26900009", "ranked", Decimal("136.75"), 2, True),
        ("26900004", "ranked", Decimal("120.75"), 4, False),
        ("26900005", "ranked", Decimal("116.75"), 5, False),
    ]
    run.refresh_from_db()
    rnd.refresh_from_db()
    assert rnd.current_run_id == run.pk
    assert (run.applications, run.scored, run.eligible, run.admitted) == (5, 5, 5, 3)
    assert run.line == Decimal("136.75")
    assert run.summary == {
        "year": 2026,
        "applications": 5,
        "scored": 5,
        "eligible": 5,
        "incomplete": 0,
        "line": 136.75,
        "admitted": 3,
        "run": run.pk,
    }
    row = RankedResult.objects.get(run=run, application_no="26900004")
    assert row.indicators["honours"] == 0.0 and row.indicators["employment"] == 52.0
    assert row.birth_month == "1988-03"
    assert row.application_id is not None and row.first_result_id is not None


def test_fewer_applicants_than_the_quota_all_admitted_line_is_the_last() -> None:
    base = base_world()
    add_verified(base, "26900002", "bare")
    run = run_now(base.app.round)  # quota 6000
    assert [r[3:] for r in listing(run)] == [(1, True), (2, True)]
    assert run.line == Decimal("116.75") and run.admitted == 2


def test_ineligible_and_incomplete_are_listed_apart_with_reasons() -> None:
    base = base_world()
    add_verified(base, "26900007", "criminal")
    add_verified(base, "26900002", "bare")
    add_unverified(base, "26900003")
    run = run_now(base.app.round)
    assert [(r[0], r[1], r[3], r[4]) for r in listing(run)] == [
        (base.app.number, "ranked", 1, True),
        ("26900002", "ranked", 2, True),
        ("26900007", "ineligible", None, False),
        ("26900003", "incomplete", None, None),
    ]
    bad = RankedResult.objects.get(run=run, application_no="26900007")
    assert bad.eligible is False and bad.total is not None
    assert bad.reasons and "criminal" in bad.reasons[0].lower()
    assert bad.reasons_zh and "犯罪" in bad.reasons_zh[0]
    todo = RankedResult.objects.get(run=run, application_no="26900003")
    assert todo.reasons_zh == ["部门核验尚未完成，不参加排名"] and todo.total is None
    assert (run.applications, run.scored, run.eligible, run.admitted) == (4, 3, 2, 2)
    assert run.summary["incomplete"] == 1


def test_an_application_with_an_open_item_is_incomplete() -> None:
    from jifen.review.models import VerificationItem

    base = base_world()
    VerificationItem.objects.filter(application=base.app, kind="tax").update(recheck="open")
    add_verified(base, "26900002", "bare")
    run = run_now(base.app.round)
    assert [(r[0], r[1]) for r in listing(run)] == [
        ("26900002", "ranked"),
        (base.app.number, "incomplete"),
    ]


def test_threshold_rule_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheme with a standard score and no quota (Shanghai), as rule set configuration."""
    from jifen.rules import ruleset

    base = base_world()
    add_verified(base, "26900002", "no_innovation")  # 136.75
    add_verified(base, "26900003", "bare")  # 116.75
    data = ruleset._read("beijing-2020")
    data["id"] = "beijing-2020"
    data["ranking"] = {"method": "threshold", "threshold": 130}
    custom = ruleset.compile_rule_set(data)
    original = ruleset.load_rule_set

    def load(name: str):
        return custom if name == "beijing-2020" else original(name)

    monkeypatch.setattr(scoring, "load_rule_set", load)
    run = run_now(base.app.round)
    assert [(r[0], r[3], r[4]) for r in listing(run)] == [
        (base.app.number, 1, True),
        ("26900002", 2, True),
        ("26900003", 3, False),
    ]
    assert run.line == Decimal("130.00") and run.admitted == 2


def test_a_failure_half_way_leaves_the_previous_results(monkeypatch: pytest.MonkeyPatch) -> None:
    base = base_world()
    add_verified(base, "26900002", "bare")
    rnd = base.app.round
    first = run_now(rnd)
    before = listing(first)

    original = scoring._write_rows

    def broken(run, rows, progress):
        def some():
            for i, row in enumerate(rows):
                if i == 1:
                    raise RuntimeError("disk full")
                yield row

        return original(run, some(), progress)

    monkeypatch.setattr(scoring, "_write_rows", broken)
    second = scoring.create_run(actor=None, round=rnd)
    with pytest.raises(RuntimeError):
        scoring.execute_run(second, workers=1)
    second.refresh_from_db()
    rnd.refresh_from_db()
    assert second.state == RunState.FAILED
    assert "原有结果未改变" in second.error and "disk full" in second.error
    assert rnd.current_run_id == first.pk
    assert listing(first) == before
    assert not RankedResult.objects.filter(run=second).exists()
    assert AuditEvent.objects.filter(action="rounds.scoring_fail").count() == 1


def test_rerun_replaces_and_deletes_the_old_rows() -> None:
    base = base_world()
    rnd = base.app.round
    first = run_now(rnd)
    add_verified(base, "26900002", "bare")
    second = run_now(rnd)
    rnd.refresh_from_db()
    assert rnd.current_run_id == second.pk
    assert not RankedResult.objects.filter(run=first).exists()
    assert len(listing(second)) == 2
    first.refresh_from_db()
    assert first.state == RunState.DONE  # the history keeps the run, not its rows


def test_stop_between_chunks_leaves_the_round_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    base = base_world()
    rnd = base.app.round
    first = run_now(rnd)
    for n in range(2, 6):
        add_verified(base, f"2690000{n}", "bare")
    monkeypatch.setattr(scoring, "CHUNK", 2)
    run = scoring.create_run(actor=None, round=rnd)
    seen = []

    def echo(r: ScoringRun) -> None:
        seen.append((r.stage, r.done, r.total))
        if r.stage == "scoring" and r.done >= 2 and not r.stop_requested:
            scoring.request_stop(actor=None, run=r)
            r.stop_requested = True

    run = scoring.execute_run(run, workers=1, echo=echo)
    assert run.state == RunState.STOPPED
    run.refresh_from_db()
    assert run.state == RunState.STOPPED and "已按要求停止" in run.error
    assert run.done < 5
    rnd.refresh_from_db()
    assert rnd.current_run_id == first.pk
    assert not RankedResult.objects.filter(run=run).exists()
    assert ("scoring", 2, 5) in seen
    assert AuditEvent.objects.filter(action="rounds.scoring_stop").count() == 1


def test_progress_fields_and_status() -> None:
    base = base_world()
    add_verified(base, "26900002", "bare")
    stages = []
    run = run_now(base.app.round, echo=lambda r: stages.append(r.stage))
    assert {"scoring", "ranking", "writing"} <= set(stages)
    run.refresh_from_db()
    status = scoring.status_of(run)
    assert status["state"] == "done" and status["state_name"] == "已完成"
    assert status["done"] == status["total"] == 2 and status["percent"] == 100
    assert status["finished"] is True and status["outcome"]["admitted"] == 2


def test_start_needs_the_scoring_phase_and_one_run_at_a_time(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    base = base_world()
    rnd = base.app.round
    bureau = make_staff(Role.BUREAU_ADMIN)
    with pytest.raises(OutsideWindow) as refused:
        scoring.start_run(actor=bureau, round=rnd)
    assert "积分评定阶段尚未开始" in refused.value.message
    open_scoring(rnd)
    run = scoring.start_run(actor=bureau, round=rnd)
    assert run.state == RunState.QUEUED and run.started_by == bureau
    with pytest.raises(Conflict) as second:
        scoring.start_run(actor=bureau, round=rnd)
    assert "已有一个积分评定批次" in second.value.message
    stopped = scoring.request_stop(actor=bureau, run=run)
    assert stopped.state == RunState.STOPPED
    assert AuditEvent.objects.filter(action="rounds.scoring_start").count() == 1


def test_start_enqueues_the_task_at_commit(django_capture_on_commit_callbacks) -> None:
    base = base_world()
    rnd = open_scoring(base.app.round)
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring.start_run(actor=make_staff(Role.BUREAU_ADMIN), round=rnd)
    run.refresh_from_db()  # the immediate backend (test settings) ran it at the commit
    rnd.refresh_from_db()
    assert run.state == RunState.DONE and run.task_id
    assert rnd.current_run_id == run.pk
    assert AuditEvent.objects.filter(action="rounds.scoring_finish").count() == 1


def test_worker_processes_score_like_one_process() -> None:
    base = base_world()
    rows = []
    from jifen.review.models import FirstResult

    fr = FirstResult.objects.get(application=base.app)
    import orjson

    text = orjson.dumps(fr.profile).decode()
    for i in range(30):
        rows.append((i, f"2600{i:04d}", fr.pk, text, False))
    chunks = [rows[i : i + 5] for i in range(0, 30, 5)]
    one = [s for part in score_rows.score_chunks(chunks, "beijing-2020", (), 1) for s in part]
    two = [s for part in score_rows.score_chunks(chunks, "beijing-2020", (), 2) for s in part]
    assert one == two and len(one) == 30 and one[0].total_cents == 14075
