"""Fault: the task worker dies (SIGKILL) while it runs a job. The job: the scheduler's health
probe (``health_probe``), whose effect is one HealthProbe row and its ScheduledRun's outcome. It
is caught mid-way — started, its ScheduledRun marked started, its insert held by a lock this
test takes — and the worker is killed there.

django-tasks-db alone leaves the job RUNNING for ever. With ``manage.py task_worker``'s
heartbeat, the next worker marks it failed (the job not lost: failed, with a Chinese reason,
on the task and on the ScheduledRun the console lists) and never runs it again (no double
effect); run again, as the scheduler does at its next time, it has its effect once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.serving.harness import (
    ServedSystem,
    clone_database,
    drop_database,
    kill_group,
    node_python,
    node_query,
    start_command,
    wait_for,
)

DATABASE = "jifen_faults_worker"
STALE = {"TASK_WORKER_HEARTBEAT_SECONDS": "0.5", "TASK_WORKER_STALE_SECONDS": "3"}

ENQUEUE = """
import json
from jifen.ops import runner
from jifen.ops.tasks import scheduled_job_task
run = runner.plan("health_probe")
task = scheduled_job_task.enqueue(run.pk)
print("JSON" + json.dumps({"run": run.pk, "task": str(task.id)}))
"""
WAITING = (
    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'ops_healthprobe'::regclass"
)


def _json_line(output: str) -> dict:
    return json.loads(next(line[4:] for line in output.splitlines() if line.startswith("JSON")))


@pytest.fixture
def node(pg_url: str, serve_template: str, serve_var: Path) -> Iterator[ServedSystem]:
    url = clone_database(pg_url, serve_template, DATABASE)
    try:
        yield ServedSystem(database_url=url, var_dir=serve_var,
                           redis_url="redis://127.0.0.1:6379/4", extra_env=STALE)
    finally:
        drop_database(pg_url, DATABASE)


def _task(node: ServedSystem, task: str) -> tuple[str, list, str, str]:
    [row] = node_query(
        node, "SELECT status, worker_ids, exception_class_path, traceback "
        "FROM django_tasks_database_dbtaskresult WHERE id = %s", task,
    )
    return row


def _scheduled(node: ServedSystem, run: int) -> tuple[bool, bool | None, str]:
    [row] = node_query(
        node, "SELECT started IS NOT NULL, ok, output FROM ops_scheduledrun WHERE id = %s", run
    )
    return row


def _probes(node: ServedSystem) -> int:
    return node_query(node, "SELECT count(*) FROM ops_healthprobe")[0][0]


def _worker(node: ServedSystem) -> object:
    return start_command(node, "task_worker", "--no-startup-delay", "--interval", "0.2",
                         name="job-worker")


def test_a_job_whose_worker_dies_is_failed_not_lost_nor_repeated(node: ServedSystem) -> None:
    job = _json_line(node_python(node, ENQUEUE))
    lock = psycopg.connect(node.database_url)
    lock.execute("LOCK TABLE ops_healthprobe IN EXCLUSIVE MODE")  # inserts wait for it
    worker = _worker(node)
    try:
        wait_for(lambda: _task(node, job["task"])[0] == "RUNNING"
                 and _scheduled(node, job["run"])[0], 60, "the job started")
        # Its insert waits on the lock: the job is half-way.
        wait_for(lambda: node_query(node, WAITING)[0][0], 30, "the job waiting on its insert")
    finally:
        kill_group(worker)
    try:
        # The dead worker's statement is cancelled by the server (client_connection_check_interval)
        # rather than left waiting to commit on its own once the lock goes.
        wait_for(lambda: not node_query(node, WAITING)[0][0], 15,
                 "the dead worker's statement cancelled", every=0.2)
    finally:
        lock.rollback()
        lock.close()
    status, worker_ids, _, _ = _task(node, job["task"])
    assert status == "RUNNING" and len(worker_ids) == 1  # left so by django-tasks-db
    assert _scheduled(node, job["run"])[1] is None

    worker = _worker(node)
    try:
        wait_for(lambda: _task(node, job["task"])[0] != "RUNNING", 30, "the job reaped")
        status, worker_ids, exception, reason = _task(node, job["task"])
        assert (status, exception) == ("FAILED", "jifen.ops.task_workers.WorkerLost")
        assert reason.startswith(f"任务进程意外中断（3 秒内未收到进程 {worker_ids[0]} 的心跳）")
        assert reason.endswith("该任务已标记为失败，未自动重新执行；请核对结果后重新发起")
        started, ok, output = _scheduled(node, job["run"])
        assert started and ok is False and output == reason
        assert _probes(node) == 0  # the killed job's insert never happened

        # Never run again by itself: the live worker leaves it failed.
        time.sleep(2)
        assert _task(node, job["task"])[:2] == ("FAILED", worker_ids)
        assert _probes(node) == 0
        # The console's failed scheduled runs name it.
        failed = node_python(
            node, "from datetime import timedelta\nfrom django.utils import timezone\n"
            "from jifen.ops.selectors import failed_scheduled_runs\n"
            "print([(r.job, r.ok) for r in failed_scheduled_runs(timezone.now() - timedelta(1))])",
        )
        assert "('health_probe', False)" in failed

        # Run again (the scheduler's next time): one effect.
        again = _json_line(node_python(node, ENQUEUE))
        wait_for(lambda: _task(node, again["task"])[0] == "SUCCESSFUL", 60, "the job run again")
        assert _scheduled(node, again["run"])[1] is True
        assert _probes(node) == 1
    finally:
        kill_group(worker)
