"""Fault: the task worker carrying a scoring run is killed (SIGKILL) half-way. The round's
results (an earlier completed run) stand unchanged; the killed run does not stay 计算中 for ever
— the next worker finds its heartbeat stale and marks it failed with a Chinese reason, its rows
deleted — and a new run then completes with the same outcome.

The round: ``jifen synth`` applicants imported by ``import_applications`` and made verified by
the round benchmark's fixture (bench/round_bench.py, stage "verify"), enough of them for a run
to last a while (12,000: a second or two on a quiet machine, several under load)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.harness import (
    PYTHON,
    ROOT,
    ServedSystem,
    clone_database,
    command_env,
    drop_database,
    kill_group,
    node_python,
    node_query,
    start_command,
    wait_for,
)

SIZE = 12000
DATABASE = "jifen_faults_scoring"
STALE = {"TASK_WORKER_HEARTBEAT_SECONDS": "0.5", "TASK_WORKER_STALE_SECONDS": "3"}

START_RUN = """
import json
from jifen.accounts.models import User
from jifen.core.roles import Role
from jifen.rounds import scoring
from jifen.rounds.models import Round
from tests.factories import make_staff
actor = User.objects.filter(username="fault_bureau").first() or make_staff(
    Role.BUREAU_ADMIN, username="fault_bureau")
print("JSON" + json.dumps(scoring.start_run(actor=actor, round=Round.objects.get(year=2026)).pk))
"""


def _json_line(output: str) -> object:
    return json.loads(next(line[4:] for line in output.splitlines() if line.startswith("JSON")))


def _checked(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    return done.stdout


@pytest.fixture
def node(
    pg_url: str, serve_template: str, serve_var: Path, tmp_path: Path
) -> Iterator[ServedSystem]:
    url = clone_database(pg_url, serve_template, DATABASE)
    system = ServedSystem(database_url=url, var_dir=serve_var, extra_env=STALE)
    profiles = tmp_path / "profiles.jsonl"
    _checked(subprocess.run(
        [str(PYTHON), "-m", "jifen.cli", "synth", "--applicants", str(SIZE), "--year", "2026",
         "--seed", "11", "-o", str(profiles)], cwd=ROOT, capture_output=True, text=True,
    ))
    _checked(system.manage("round_create", "--year", "2026"))
    _checked(system.manage("import_applications", str(profiles), "--year", "2026", timeout=600))
    _checked(subprocess.run(
        [str(PYTHON), "bench/round_bench.py", "--child", "verify", str(profiles), "2"],
        cwd=ROOT, env=command_env(system), capture_output=True, text=True, timeout=600,
    ))
    try:
        yield system
    finally:
        drop_database(pg_url, DATABASE)


def _results(node: ServedSystem) -> tuple[int, str, int, str]:
    """The round's current run, its line, and a digest of its list (number, rank, total,
    admitted, status in listing order)."""
    [(run, line)] = node_query(
        node,
        "SELECT r.current_run_id, s.line::text FROM rounds_round r "
        "JOIN rounds_scoringrun s ON s.id = r.current_run_id WHERE r.year = 2026",
    )
    [(count, digest)] = node_query(
        node,
        "SELECT count(*), md5(string_agg(concat_ws(':', application_no, rank, total, admitted, "
        "status), ',' ORDER BY position)) FROM rounds_rankedresult WHERE run_id = %s",
        run,
    )
    return run, line, count, digest


def _run(node: ServedSystem, run: int) -> tuple[str, str, int, int, str]:
    [row] = node_query(
        node, "SELECT state, stage, done, total, error FROM rounds_scoringrun WHERE id = %s", run
    )
    return row


def test_a_scoring_run_killed_half_way(node: ServedSystem) -> None:
    _checked(node.manage("score_round", "--year", "2026", timeout=600))
    first = _results(node)
    assert first[2] == SIZE

    killed = _json_line(node_python(node, START_RUN))
    worker = start_command(node, "task_worker", "--no-startup-delay", "--interval", "0.2",
                           name="scoring-worker")
    try:
        # Half-way: its applications read, scoring them (progress is written at most twice a
        # second, so "some done" cannot be waited for on a fast machine).
        wait_for(lambda: (lambda r: r[0] == "running" and r[1] == "scoring" and r[2] < r[3])(
            _run(node, killed)), 120, "the run half-way through its scoring", every=0.02)
    finally:
        kill_group(worker)
    time.sleep(0.5)
    # django-tasks-db alone would leave both as they are for ever.
    assert _run(node, killed)[0] == "running"
    [(task_status,)] = node_query(
        node, "SELECT status FROM django_tasks_database_dbtaskresult WHERE "
        "task_path = 'jifen.rounds.tasks.score_round_task'"
    )
    assert task_status == "RUNNING"
    # The round's results stand.
    assert _results(node) == first

    worker = start_command(node, "task_worker", "--no-startup-delay", "--interval", "0.2",
                           name="scoring-worker")
    try:
        state = wait_for(lambda: (lambda r: r if r[0] != "running" else None)(_run(node, killed)),
                         30, "the killed run marked failed")
        assert state[0] == "failed"
        assert state[4].startswith("积分评定未完成：任务进程意外中断（3 秒内未收到进程 "), state[4]
        assert state[4].endswith("本年度原有结果未改变"), state[4]
        [(status, exception)] = node_query(
            node, "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'jifen.rounds.tasks.score_round_task'"
        )
        assert (status, exception) == ("FAILED", "jifen.ops.task_workers.WorkerLost")
        assert node_query(
            node, "SELECT count(*) FROM rounds_rankedresult WHERE run_id = %s", killed
        ) == [(0,)]
        assert _results(node) == first

        # A new run completes, with the same outcome.
        again = _json_line(node_python(node, START_RUN))
        wait_for(lambda: _run(node, again)[0] in ("done", "failed"), 300, "the new run to end",
                 every=0.5)
        assert _run(node, again)[0] == "done", _run(node, again)
        run, line, count, digest = _results(node)
        assert run == again
        assert (line, count, digest) == first[1:]
    finally:
        kill_group(worker)
