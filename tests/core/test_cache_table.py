"""``migrate`` makes the database cache's table itself: a database migrated by a script (no
``createcachetable``) can save a round, whose save drops cached pages."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="jifen.settings.base", JIFEN_VAR_DIR=str(var))
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )


def test_migrate_alone_makes_the_cache_table_and_a_round_can_be_saved(tmp_path: Path) -> None:
    assert _manage(tmp_path, "migrate", "-v0").returncode == 0
    with sqlite3.connect(tmp_path / "jifen.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "jifen_cache" in tables
    created = _manage(tmp_path, "round_create", "--year", "2026")
    assert created.returncode == 0, created.stderr[-2000:]
    assert '"year": 2026' in created.stdout
