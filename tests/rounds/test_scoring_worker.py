"""A real ``manage.py db_worker`` process carries out a queued scoring run (django-tasks with
the database backend, as ``make run`` starts it), on SQLite and on PostgreSQL.

The worker is another process, so the data must be committed (a transactional test) and the
process must reach the test database: PostgreSQL's by its URL; SQLite's test database lives in
this process's memory, so it is copied to a file for the worker and copied back afterwards
(sqlite3's online backup).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from jifen.core.roles import Role
from jifen.rounds import scoring
from jifen.rounds.models import RankedResult, RunState, ScoringRun
from tests.factories import make_staff
from tests.rounds.scoring_world import add_verified, base_world, open_scoring

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _worker(env_url: str, repo: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jifen.settings.base",
        "DATABASE_URL": env_url,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay",
         "--no-reload", "--verbosity", "0"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_a_queued_run(settings, tmp_path: Path, repo_root: Path) -> None:
    settings.TASKS = DB_BACKEND
    base = base_world()
    rnd = open_scoring(base.app.round)
    add_verified(base, "26900002", "bare")
    run = scoring.start_run(actor=make_staff(Role.BUREAU_ADMIN), round=rnd)
    run.refresh_from_db()
    assert run.state == RunState.QUEUED and run.task_id  # enqueued, not carried out here

    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        memory = connection.connection
        with sqlite3.connect(path) as copy:
            memory.backup(copy)
        done = _worker(f"sqlite:///{path}", repo_root)
        with sqlite3.connect(path) as copy:
            copy.backup(memory)
    else:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        done = _worker(url, repo_root)
    assert done.returncode == 0, done.stderr[-3000:]

    run = ScoringRun.objects.get(pk=run.pk)
    rnd.refresh_from_db()
    assert run.state == RunState.DONE, run.error
    assert rnd.current_run_id == run.pk
    assert (run.applications, run.eligible, run.admitted) == (2, 2, 2)
    assert list(
        RankedResult.objects.filter(run=run).order_by("position").values_list("rank", flat=True)
    ) == [1, 2]
