"""Backups on PostgreSQL with pgBackRest, end to end, on a scratch cluster of this test's own
(initdb + pg_ctl on a free port, WAL archiving on, the repository in a temporary folder; the
shared server is never touched): deploy/pgbackrest/setup.sh configures it, ``manage.py backup
full`` / ``incremental`` / ``drill`` / ``restore`` run as subprocesses against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_scratch import BINDIR, ScratchCluster, scratch_missing

ROOT = Path(__file__).resolve().parents[2]


def _missing() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") and not os.environ.get("JIFEN_TEST_PG_BACKUP"):
        return (
            "the PostgreSQL backup round trip runs in the PostgreSQL pass (DATABASE_URL set) "
            "or with JIFEN_TEST_PG_BACKUP=1"
        )
    if not shutil.which("pgbackrest"):
        return "pgbackrest is not installed (make backup-deps as root installs it)"
    return scratch_missing()


pytestmark = pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")


class Cluster(ScratchCluster):
    """The scratch cluster with the system's commands run against its database ``jifen``."""

    def __init__(self) -> None:
        super().__init__()
        self.var = self.base / "var"
        self.url = self.database_url("jifen")
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            DJANGO_SETTINGS_MODULE="jifen.settings.base",
            DATABASE_URL=self.url,
            JIFEN_VAR_DIR=str(self.var),
            JIFEN_EVIDENCE_ROOT=str(self.var / "evidence"),
            FIELD_ENCRYPTION_KEY="6b" * 32,
            AUDIT_CHECKPOINT_DIR=str(self.var / "checkpoints"),
            PGBACKREST_CONFIG=str(self.base / "pgbackrest.conf"),
            PGBACKREST_STANZA="jifen",
            JIFEN_PG_BINDIR=str(BINDIR),
        )

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                with self.connect("jifen") as con:
                    if con.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        raise psycopg.OperationalError("in recovery")
                    cur = con.execute(statement, params)
                    return cur.fetchall() if cur.description else []
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def manage(self, *args: str, ok: bool = True) -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if ok:
            assert proc.returncode == 0, (proc.stdout[-1500:], proc.stderr[-3000:])
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    try:
        c.init()
        c.start()
        setup = subprocess.run(
            [str(ROOT / "deploy/pgbackrest/setup.sh")],
            env={
                **os.environ,
                "PGDATA": str(c.data),
                "PGPORT": str(c.port),
                "PGSOCKET": str(c.base),
                "PGBACKREST_REPO": str(c.base / "repo"),
                "PGBACKREST_HOME": str(c.base / "state"),
                "CONFIG": str(c.base / "pgbackrest.conf"),
                "PG_BINDIR": str(BINDIR),
            },
            capture_output=True,
            text=True,
            cwd="/",
        )
        assert setup.returncode == 0, setup.stderr[-2000:]
        c.createdb("jifen")
        c.var.mkdir()
        c.manage("migrate", "--noinput", "-v0")
        yield c
    finally:
        c.remove()


def _set(c: Cluster, key: str, value: int) -> None:
    c.sql(
        "INSERT INTO ops_parameter(key, value, updated_at) VALUES (%s, %s, now()) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        json.dumps(value),
    )


def _params(c: Cluster) -> dict[str, int]:
    rows = c.sql("SELECT key, value FROM ops_parameter ORDER BY key")
    return {k: (v if isinstance(v, int) else json.loads(v)) for k, v in rows}


def test_postgres_round_trip_with_pgbackrest(cluster: Cluster) -> None:
    evidence = cluster.var / "evidence" / "2026" / "e1.bin"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"evidence one")
    _set(cluster, "inspect_disk_percent_warn", 71)
    full = cluster.manage("backup", "full")
    assert full["ok"] and full["kind"] == "full" and full["engine"] == "postgresql"
    assert full["manifest"]["database"]["type"] == "full"

    _set(cluster, "inspect_disk_percent_warn", 72)
    inc1 = cluster.manage("backup", "incremental")
    assert inc1["parent"] == full["id"] and inc1["manifest"]["database"]["type"] == "incr"
    _set(cluster, "inspect_cpu_percent_warn", 60)
    inc2 = cluster.manage("backup", "incremental")
    assert inc2["parent"] == inc1["id"]
    assert inc2["manifest"]["database"]["prior"] == inc1["manifest"]["database"]["label"]
    assert (
        inc2["manifest"]["database"]["stored_bytes"] < full["manifest"]["database"]["stored_bytes"]
    )

    drill = cluster.manage("backup", "drill")
    assert drill["ok"] is True and drill["backup"] == inc2["id"]
    assert drill["checks"]["audit_chain"] == "ok" and drill["checks"]["tables"] > 40
    assert drill["rto_seconds"] > 0

    # Point in time: a change after the last backup, the moment, another change; the WAL
    # archived (pgbackrest check switches to a new WAL file and waits for it to be archived).
    _set(cluster, "inspect_disk_percent_warn", 80)
    time.sleep(1.1)
    [(moment,)] = cluster.sql(
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
    )
    time.sleep(1.1)
    _set(cluster, "inspect_disk_percent_warn", 99)
    config = f"--config={cluster.base / 'pgbackrest.conf'}"
    cluster.pg("pgbackrest", config, "--stanza=jifen", "check")
    cluster.stop()
    pitr = cluster.manage("restore", "latest", "--time", moment)
    assert pitr["ok"] and pitr["until"] == moment
    cluster.start()
    assert _params(cluster) == {"inspect_cpu_percent_warn": 60, "inspect_disk_percent_warn": 80}

    # The loss: the data directory and the evidence are gone.
    cluster.stop()
    for item in cluster.data.iterdir():
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()
    evidence.unlink()
    restored = cluster.manage("restore", "latest")
    assert restored["ok"] and restored["restored"] == inc2["id"]
    assert restored["chain"] == [full["id"], inc1["id"], inc2["id"]]
    cluster.start()
    assert _params(cluster) == {"inspect_cpu_percent_warn": 60, "inspect_disk_percent_warn": 72}
    assert evidence.read_bytes() == b"evidence one"

    # restore ID: the first incremental's point.
    cluster.stop()
    earlier = cluster.manage("restore", inc1["id"])
    assert earlier["chain"] == [full["id"], inc1["id"]]
    cluster.start()
    assert _params(cluster) == {"inspect_disk_percent_warn": 72}
