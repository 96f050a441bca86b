"""bench/round_bench.py at a tiny size, so that the benchmark does not rot (the figures are in
docs/benchmarks.md; the benchmark itself is not part of the suite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SIZE = 300


def _run(tmp_path: Path, *args: str) -> list[dict]:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "round_bench.py"),
            "--size",
            str(SIZE),
            "--out",
            str(tmp_path),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert "| stage | step | wall s |" in done.stdout  # the table of figures
    return rows


def test_round_bench_imports_on_sqlite(tmp_path: Path) -> None:
    rows = {row["stage"]: row for row in _run(tmp_path, "--sqlite", "--stages", "import")}
    assert rows["synth"]["out"] == {}
    imported = rows["import"]["out"]
    assert imported["imported"] == SIZE
    assert imported["items"] == SIZE * 11
    assert "check pass (parse, validate, duplicates)" in imported["steps"]


@pytest.mark.django_db
def test_round_bench_every_stage_on_postgresql(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the verified fixture, the engine and score stages need PostgreSQL")
    s = connection.settings_dict
    # A scratch database of its own next to the test database (dropped by --drop).
    url = (
        f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
        f"{s['PORT'] or 5432}/{s['NAME']}_round_bench"
    )
    rows = {row["stage"]: row for row in _run(tmp_path, "--postgres", url, "--drop")}
    assert rows["import"]["out"]["imported"] == SIZE
    verify = rows["verify"]["out"]
    assert verify["first_results"] == SIZE
    assert verify["decisions"] == SIZE * 11
    engine = rows["engine"]["out"]
    assert 0 < engine["scored"] <= SIZE
    assert engine["admitted"] == engine["scored"]  # 300 eligible ones are under the quota
    if "score" in rows:
        assert rows["score"]["out"]["applications"] == SIZE
