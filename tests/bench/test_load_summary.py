"""bench/load/summary.py: a run in which locust gave no figures is reported as such (with
locust's own last words) and fails, instead of an empty summary that looks like success."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = ROOT / "bench" / "load" / "summary.py"


def test_locust_crashing_is_named_and_fails_the_report(tmp_path: Path) -> None:
    (tmp_path / "mix.out").write_text(
        "Traceback (most recent call last):\n"
        "RuntimeError: cannot release un-acquired lock\n", encoding="utf-8")
    done = subprocess.run([sys.executable, SUMMARY, "report", tmp_path],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "== the opening-day mix: NO FIGURES — locust gave none" in done.stdout
    assert "RuntimeError: cannot release un-acquired lock" in done.stdout
    assert "== the public list alone: NO FIGURES" in done.stdout
