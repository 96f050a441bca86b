"""Task workers' heartbeats and the reaping of the jobs a dead worker abandoned
(jifen.ops.task_workers). The processes themselves are killed in
tests/serving/test_faults_worker_death.py and test_faults_scoring_kill.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jifen.ops import runner
from jifen.ops.models import ScheduledRun, TaskWorker
from jifen.ops.task_workers import LOST_CLASS, Heartbeat, new_worker_id, reap_stale_tasks
from jifen.rounds.models import RunState, ScoringRun
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def _worker(worker_id: str, seconds_ago: float) -> None:
    now = timezone.now()
    TaskWorker.objects.create(
        worker_id=worker_id, host="node1", pid=4242, started_at=now - timedelta(hours=1),
        beat_at=now - timedelta(seconds=seconds_ago),
    )


def _running(worker_id: str, task_path: str, *args: object) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING", args_kwargs={"args": list(args), "kwargs": {}}, task_path=task_path,
        worker_ids=[worker_id], backend_name="default", run_after=timezone.now(),
        started_at=timezone.now(), exception_class_path="", traceback="",
    )


def test_a_stale_workers_job_is_failed_and_its_scheduled_run_told() -> None:
    run = runner.plan("health_probe")
    _worker("node1:4242:dead", seconds_ago=120)
    job = _running("node1:4242:dead", "jifen.ops.tasks.scheduled_job_task", run.pk)

    assert reap_stale_tasks(stale_after=60) == [str(job.pk)]
    job.refresh_from_db()
    reason = (
        "任务进程意外中断（1 分钟内未收到进程 node1:4242:dead 的心跳），该任务已标记为失败，"
        "未自动重新执行；请核对结果后重新发起"
    )
    assert (job.status, job.exception_class_path, job.traceback) == ("FAILED", LOST_CLASS, reason)
    assert job.finished_at is not None
    run = ScheduledRun.objects.get(pk=run.pk)
    assert (run.ok, run.output) == (False, reason) and run.finished is not None
    # Reaped once: a second pass finds nothing.
    assert reap_stale_tasks(stale_after=60) == []


def test_live_and_unknown_workers_jobs_are_left_alone() -> None:
    _worker("node1:1:alive", seconds_ago=5)
    alive = _running("node1:1:alive", "jifen.ops.tasks.backup_task", "full")
    # A plain db_worker writes no heartbeat: nothing says it is dead.
    unknown = _running("a-plain-db-worker", "jifen.ops.tasks.backup_task", "full")
    assert reap_stale_tasks(stale_after=60) == []
    assert {j.status for j in DBTaskResult.objects.filter(pk__in=[alive.pk, unknown.pk])} == {
        "RUNNING"
    }


def test_a_reaped_scoring_run_fails_and_never_switches() -> None:
    rnd = make_round(2026)
    run = ScoringRun.objects.create(round=rnd, state=RunState.RUNNING, stage="scoring")
    _worker("node2:7:dead", seconds_ago=30)
    _running("node2:7:dead", "jifen.rounds.tasks.score_round_task", run.pk)

    assert len(reap_stale_tasks(stale_after=10)) == 1
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.stop_requested
    assert run.error == (
        "积分评定未完成：任务进程意外中断（10 秒内未收到进程 node2:7:dead 的心跳），"
        "该任务已标记为失败，未自动重新执行；请核对结果后重新发起。本年度原有结果未改变"
    )
    rnd.refresh_from_db()
    assert rnd.current_run_id is None


def test_the_heartbeat_records_the_worker_and_forgets_old_ones() -> None:
    _worker("gone:1:old", seconds_ago=2 * 86400)
    worker_id = new_worker_id()
    beat = Heartbeat(worker_id, every=1)
    beat.once()
    first = TaskWorker.objects.get(worker_id=worker_id).beat_at
    beat.once()
    assert TaskWorker.objects.get(worker_id=worker_id).beat_at > first
    assert not TaskWorker.objects.filter(worker_id="gone:1:old").exists()
    assert len(worker_id) <= 64
