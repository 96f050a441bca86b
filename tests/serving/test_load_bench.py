"""The opening-day load benchmark's tooling works end to end (bench/load/, docs/benchmarks.md):
the seed fills a served system through the real services, and a short locust run of the mix
meets no failure. A smoke test of the benchmark, not a measurement: skipped without locust
(`make load-deps`)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.serving.harness import (
    PYTHON,
    ROOT,
    ServedSystem,
    clone_database,
    drop_database,
    http_get,
    run_beside,
)

LOCUST = ROOT / ".venv" / "bin" / "locust"
pytestmark = pytest.mark.skipif(not LOCUST.exists(), reason="locust is missing: make load-deps")


@pytest.fixture
def system(pg_url: str, serve_template: str, serve_var: Path):
    name = f"jifen_load_smoke_{os.getpid()}"
    url = clone_database(pg_url, serve_template, name)
    node = ServedSystem(database_url=url, var_dir=serve_var, redis_url="redis://127.0.0.1:6379/7")
    with node:
        yield node
    drop_database(pg_url, name)


def test_seed_then_a_short_run_of_the_mix(system: ServedSystem, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.json"
    seeded = run_beside(
        system, PYTHON, "bench/load/seed.py", "--applicants", "8", "--per-employer", "4",
        "--ready", "0.5", "--submitted", "0.25", "--listed", "120", "--out", accounts,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    data = json.loads(accounts.read_text(encoding="utf-8"))
    assert len(data["applicants"]) == 8 and len(data["employers"]) == 2
    assert data["listed"] == 120

    status, body = http_get(f"{system.url}/gongshi/{data['published_year']}/")
    assert status == 200 and f"北京市{data['published_year']}年积分落户公示名单" in body

    # A second seed into the same database is refused, not doubled.
    again = run_beside(system, PYTHON, "bench/load/seed.py", "--applicants", "1",
                       "--out", tmp_path / "again.json")
    assert again.returncode == 2 and "already holds" in again.stderr

    run = run_beside(
        system, LOCUST, "-f", "bench/load/locustfile.py", "--host", system.url, "--headless",
        "-u", "8", "-r", "8", "-t", "20s", "--csv", tmp_path / "mix", "--only-summary",
        "ApplicantUser", "EmployerUser", "PublicListUser",
        timeout=180, extra_env={"LOAD_ACCOUNTS": str(accounts)},
    )
    with (tmp_path / "mix_stats.csv").open(encoding="utf-8") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    assert int(total["Failure Count"]) == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert int(total["Request Count"]) > 20
    assert "/accounts/login/ [POST]" in rows and "/my/" in rows
    assert "/gongshi/[year]/" in rows
    # The drafts were saved (the page's version was found and accepted).
    assert int(rows["/my/applications/[id]/sections/[key]/autosave/"]["Request Count"]) > 0
