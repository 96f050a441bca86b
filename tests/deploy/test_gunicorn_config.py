"""deploy/gunicorn/gunicorn.conf.py's worker hook: the garbage collector tuned for a server.

Run in a child process each time: the hook freezes the collector of the process it runs in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn" / "gunicorn.conf.py"

CHILD = f"""
import gc, json, runpy
before = gc.get_threshold()
junk = [[i] for i in range(1000)]   # long-lived objects, as a loaded application holds
conf = runpy.run_path({str(CONF)!r})
conf["post_worker_init"](None)
print(json.dumps({{"before": before, "after": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}}))
"""


def _worker_gc(threshold: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_GC_THRESHOLD"}
    if threshold is not None:
        env["GUNICORN_GC_THRESHOLD"] = threshold
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_freezes_what_it_has_loaded_and_collects_less_often() -> None:
    gc = _worker_gc(None)
    assert gc["before"] == [700, 10, 10]
    assert gc["after"] == [50000, 20, 100]
    # The application's objects are moved out of the collector's reach.
    assert gc["frozen"] > 1000


def test_the_threshold_is_a_setting() -> None:
    assert _worker_gc("20000,10,50")["after"] == [20000, 10, 50]


def test_zero_leaves_pythons_defaults() -> None:
    gc = _worker_gc("0")
    assert gc["after"] == [700, 10, 10]
    assert gc["frozen"] == 0


def test_a_malformed_threshold_stops_gunicorn_at_start_up() -> None:
    env = {**os.environ, "GUNICORN_GC_THRESHOLD": "50000;20"}
    done = subprocess.run([sys.executable, "-c", f"import runpy; runpy.run_path({str(CONF)!r})"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "invalid literal for int()" in done.stderr
