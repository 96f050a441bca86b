"""Backups on SQLite, end to end: ``manage.py backup`` and ``restore`` run as subprocesses
against a database file of their own (the server's way of choosing it: JIFEN_VAR_DIR), with
real evidence files, real encrypted archives and real damage."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from jifen.ops.backups import archive

ROOT = Path(__file__).resolve().parents[2]
KEY = "5a" * 32


class Site:
    """A var/ directory with a migrated SQLite database and the commands run against it."""

    def __init__(self, base: Path) -> None:
        self.var = base / "var"
        self.var.mkdir()
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIFEN_BACKUP_DIR")
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="jifen.settings.base",
            JIFEN_VAR_DIR=str(self.var),
            JIFEN_EVIDENCE_ROOT=str(self.var / "evidence"),
            FIELD_ENCRYPTION_KEY=KEY,
            AUDIT_CHECKPOINT_DIR=str(base / "checkpoints"),
            JIFEN_LOG_DIR=str(self.var / "log"),
        )

    @property
    def db(self) -> Path:
        return self.var / "jifen.sqlite3"

    def run(self, *args: str, ok: bool = True) -> tuple[int, str, list[Any]]:
        proc = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        if ok:
            assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.returncode, proc.stderr, lines

    def sql(self, statement: str, *params: Any) -> list[tuple]:
        con = sqlite3.connect(self.db)
        try:
            rows = con.execute(statement, params).fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def set_param(self, key: str, value: int) -> None:
        self.sql(
            "INSERT INTO ops_parameter(key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            key,
            json.dumps(value),
            "2026-11-30 10:00:00",
        )

    def params(self) -> dict[str, int]:
        return {k: json.loads(v) for k, v in self.sql("SELECT key, value FROM ops_parameter")}

    def evidence(self, name: str, data: bytes) -> None:
        path = self.var / "evidence" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("migrated")
    site = Site(base)
    site.run("migrate", "--noinput", "-v0")
    return site.db


@pytest.fixture
def site(tmp_path: Path, migrated: Path) -> Site:
    site = Site(tmp_path)
    site.db.write_bytes(migrated.read_bytes())
    return site


def test_round_trip_full_incrementals_loss_restore(site: Site) -> None:
    site.evidence("2026/a1/degree.pdf", b"%PDF first evidence file")
    site.set_param("inspect_disk_percent_warn", 71)
    _, _, [full] = site.run("backup", "full")
    assert full["ok"] is True and full["kind"] == "full" and full["parent"] is None
    assert Path(full["path"]).is_file()

    site.set_param("inspect_disk_percent_warn", 72)
    site.set_param("inspect_cpu_percent_warn", 60)
    site.evidence("2026/a2/id-card.jpg", b"\xff\xd8 second evidence file")
    _, _, [inc1] = site.run("backup", "incremental")
    assert inc1["parent"] == full["id"]
    assert inc1["manifest"]["evidence"] == {"files": 2, "bytes": 47, "stored": 1}

    site.set_param("inspect_disk_percent_warn", 73)
    site.sql("DELETE FROM ops_parameter WHERE key = 'inspect_cpu_percent_warn'")
    site.set_param("backup_keep_days", 40)
    _, _, [inc2] = site.run("backup", "incremental")
    assert inc2["parent"] == inc1["id"]

    # The loss: the database and an evidence file are gone; a change after the backup too.
    site.set_param("inspect_disk_percent_warn", 99)
    for path in site.var.glob("jifen.sqlite3*"):
        path.unlink()
    (site.var / "evidence" / "2026/a2/id-card.jpg").unlink()

    _, _, [restored] = site.run("restore", "latest")
    assert restored["ok"] is True
    assert restored["restored"] == inc2["id"]
    assert restored["chain"] == [full["id"], inc1["id"], inc2["id"]]
    assert site.params() == {"inspect_disk_percent_warn": 73, "backup_keep_days": 40}
    assert (
        site.var / "evidence/2026/a2/id-card.jpg"
    ).read_bytes() == b"\xff\xd8 second evidence file"
    # The restored database knows every backup (records brought back from the sidecars) and
    # the restore is on the audit log.
    ids = [row[0] for row in site.sql("SELECT backup_id FROM ops_backup ORDER BY created")]
    assert ids == [full["id"], inc1["id"], inc2["id"]]
    assert site.sql("SELECT count(*) FROM audit_auditevent WHERE action = 'ops.restore'") == [(1,)]

    # restore ID: an earlier point.
    _, _, [earlier] = site.run("restore", inc1["id"])
    assert earlier["chain"] == [full["id"], inc1["id"]]
    assert site.params() == {"inspect_disk_percent_warn": 72, "inspect_cpu_percent_warn": 60}
    _, _, [first] = site.run("restore", full["id"])
    assert site.params() == {"inspect_disk_percent_warn": 71}
    assert first["chain"] == [full["id"]]


def test_incremental_holds_only_the_changed_pages(site: Site, tmp_path: Path) -> None:
    _, _, [full] = site.run("backup", "full")
    site.set_param("inspect_disk_percent_warn", 70)
    _, _, [inc] = site.run("backup", "incremental")
    db = inc["manifest"]["database"]
    assert 1 <= db["pages_stored"] <= db["page_count"] // 8
    assert (
        full["manifest"]["database"]["pages_stored"] == full["manifest"]["database"]["page_count"]
    )
    assert inc["bytes"] * 3 < full["bytes"]
    # Inside the (decrypted) archive: exactly those pages, each with its page number.
    with (
        override_settings(FIELD_ENCRYPTION_KEY=KEY),
        archive.opened(Path(inc["path"]), inc["id"], tmp_path) as tar,
    ):
        names = tar.getnames()
        pages = tar.getmember("database/pages.bin").size
    assert "database/jifen.sqlite3" not in names
    assert pages == db["pages_stored"] * (4 + db["page_size"])


def test_list_format_oldest_first(site: Site) -> None:
    _, _, [full] = site.run("backup", "full")
    _, _, [inc] = site.run("backup", "incremental")
    code, _, lines = site.run("backup", "list")
    assert code == 0
    assert [line["id"] for line in lines] == [full["id"], inc["id"]]
    for line, taken in zip(lines, (full, inc), strict=True):
        assert set(line) == {"id", "kind", "created", "bytes", "sha256", "path"}
        assert line == {k: taken[k] for k in line}
        assert len(line["sha256"]) == 64
        assert archive.sha256_of(Path(line["path"])) == line["sha256"]
    assert [line["kind"] for line in lines] == ["full", "incremental"]


def test_archive_is_encrypted_and_holds_no_secret(site: Site, tmp_path: Path) -> None:
    site.evidence("x/file.txt", b"PLAINTEXT-MARKER-1234")
    # The log folder (LOG_DIR where the settings have it; the server may write there too).
    (site.var / "log").mkdir()
    (site.var / "log" / "marker-test.log").write_text('{"event": "request"}\n')
    site.set_param("backup_keep_full", 9)
    _, _, [full] = site.run("backup", "full")
    assert full["manifest"]["logs"]["files"] >= 1
    raw = Path(full["path"]).read_bytes()
    assert raw.startswith(b"jifenEF1")
    assert b"PLAINTEXT-MARKER" not in raw and b"ops_parameter" not in raw
    sidecar = Path(full["path"]).with_suffix(".json").read_text()
    assert KEY not in sidecar
    with override_settings(FIELD_ENCRYPTION_KEY=KEY):
        manifest = archive.read_manifest(Path(full["path"]), full["id"])
        with archive.opened(Path(full["path"]), full["id"], tmp_path) as tar:
            handle = tar.extractfile("configuration.json")
            assert handle is not None
            config_text = handle.read().decode()
            assert tar.extractfile("logs/marker-test.log").read() == b'{"event": "request"}\n'
    assert manifest["evidence"]["files"]["x/file.txt"]["bytes"] == 21
    config = json.loads(config_text)
    assert config["settings_module"] == "jifen.settings.base"
    assert config["parameters"]["backup_keep_full"] == 9
    assert config["keys"]["FIELD_ENCRYPTION_KEY"]["set"] is True
    assert KEY not in config_text and "SECRET_KEY" not in config["settings"]
    # A wrong key cannot read it.
    with (
        override_settings(FIELD_ENCRYPTION_KEY="77" * 32),
        pytest.raises(archive.DamagedBackup, match=full["id"]),
    ):
        archive.read_manifest(Path(full["path"]), full["id"])


def test_drill_passes_then_a_damaged_backup_fails_naming_it(site: Site) -> None:
    _, _, [full] = site.run("backup", "full")
    site.set_param("inspect_disk_percent_warn", 70)
    _, _, [inc] = site.run("backup", "incremental")
    _, _, [drill] = site.run("backup", "drill")
    assert drill["ok"] is True and drill["backup"] == inc["id"]
    assert drill["rto_seconds"] > 0 and drill["rpo_seconds"] >= 0
    assert drill["checks"]["chain"] == [full["id"], inc["id"]]
    assert drill["checks"]["audit_chain"] == "ok" and drill["checks"]["tables"] > 40

    # Flip one byte in the middle of the full backup's file.
    path = Path(full["path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, stderr, lines = site.run("backup", "drill", ok=False)
    assert code == 1
    assert lines[-1]["ok"] is False and full["id"] in lines[-1]["error"]
    assert lines[-1]["backup"] == inc["id"] and lines[-1]["rto_seconds"] >= 0
    assert "校验" in lines[-1]["error"] and full["id"] in stderr
    alerts = site.sql("SELECT code, message FROM ops_alert")
    assert [a[0] for a in alerts] == ["backup_drill"] and full["id"] in alerts[0][1]
    rows = site.sql("SELECT ok, failure FROM ops_recoverydrill ORDER BY started")
    assert [r[0] for r in rows] == [1, 0] and full["id"] in rows[1][1]


def test_failed_restore_leaves_the_live_database_untouched(site: Site) -> None:
    site.run("backup", "full")
    site.set_param("inspect_disk_percent_warn", 70)
    _, _, [inc] = site.run("backup", "incremental")
    path = Path(inc["path"])
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    site.set_param("inspect_disk_percent_warn", 55)
    code, _, lines = site.run("restore", "latest", ok=False)
    assert code == 1 and lines[-1]["ok"] is False and inc["id"] in lines[-1]["error"]
    assert site.params() == {"inspect_disk_percent_warn": 55}
    assert not list(site.var.glob(".restore-*"))


def test_incremental_without_full_fails_and_raises_backup_failed(site: Site) -> None:
    code, stderr, lines = site.run("backup", "incremental", ok=False)
    assert code == 1
    assert lines[-1] == {"ok": False, "error": lines[-1]["error"]}
    assert "请先进行一次全量备份" in lines[-1]["error"] and "全量备份" in stderr
    assert site.sql("SELECT code FROM ops_alert") == [("backup_failed",)]
    assert site.sql("SELECT status FROM ops_backup") == [("failed",)]


def test_restore_from_a_backup_folder_moved_elsewhere(site: Site, tmp_path: Path) -> None:
    site.set_param("inspect_disk_percent_warn", 66)
    _, _, [full] = site.run("backup", "full")
    moved = tmp_path / "offsite"
    shutil.move(str(site.var / "backups"), moved)
    for path in site.var.glob("jifen.sqlite3*"):
        path.unlink()
    site.env["JIFEN_BACKUP_DIR"] = str(moved)
    _, _, [restored] = site.run("restore", "latest")
    assert restored["restored"] == full["id"]
    assert site.params() == {"inspect_disk_percent_warn": 66}
    path = site.sql("SELECT path FROM ops_backup")[0][0]
    assert Path(path) == moved / Path(full["path"]).name
