"""PostgreSQL backups through pgBackRest (full and ``incr`` backups, WAL archiving, restore to
a backup or a point in time), driven by ``manage.py backup`` / ``restore``.

pgBackRest holds the database; our archive beside it (see :mod:`.archive`) holds the evidence
files, the configuration, the logs and the manifest (the pgBackRest backup label and the row
count of every table). pgBackRest's own settings come from its configuration file
(deploy/pgbackrest/setup.sh writes it; ``PGBACKREST_CONFIG`` names another) and its
``PGBACKREST_*`` environment variables; the stanza is settings.PGBACKREST_STANZA. Run as root,
pgBackRest and the server programs run as the ``postgres`` OS user (``runuser``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from jifen.ops.models import Backup

from . import archive, services

PG_OS_USER = os.environ.get("JIFEN_PG_OS_USER", "postgres")


def _as_pg(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_OS_USER, "--", *cmd]
    return cmd


def pgbackrest(*args: str, timeout: int = 3600) -> str:
    """Run pgBackRest with the stanza; its stdout, or BackupError with its message."""
    options = [f"--stanza={settings.PGBACKREST_STANZA}"]
    # On the command line, so that the restore_command pgBackRest writes names it too.
    if os.environ.get("PGBACKREST_CONFIG"):
        options.append(f"--config={os.environ['PGBACKREST_CONFIG']}")
    cmd = _as_pg([*shlex.split(settings.PGBACKREST_BIN), *options, *args])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise services.BackupError("未安装 pgBackRest（make backup-deps）。") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()[-1500:]
        raise services.BackupError(f"pgBackRest 执行失败（{' '.join(args[-1:])}）：{detail}")
    return proc.stdout


def info() -> list[dict[str, Any]]:
    """pgBackRest's backups of the stanza, oldest first."""
    data = json.loads(pgbackrest("--output=json", "info"))
    return data[0].get("backup", []) if data else []


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in sorted(names):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def take(*, kind: str, started: datetime) -> Backup:
    directory = services.backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    parent = (
        services._parent_for_incremental("postgresql") if kind == Backup.Kind.INCREMENTAL else None
    )
    pgbackrest(f"--type={'full' if kind == Backup.Kind.FULL else 'incr'}", "backup")
    made = info()[-1]
    parent_manifest = None
    if parent is not None:
        archive.check_file(Path(parent.path), parent.sha256, parent.backup_id)
        parent_manifest = archive.read_manifest(Path(parent.path), parent.backup_id)
        if made.get("prior") != parent_manifest["database"]["label"]:
            raise services.BackupError(
                f"pgBackRest 的增量备份 {made['label']} 不是基于备份 {parent.backup_id}"
                f"（{parent_manifest['database']['label']}）：请进行全量备份。"
            )
    backup_id = services._new_id(kind, started)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as tmp:
        files_part, members = services.collect_files(parent_manifest, Path(tmp))
        manifest = {
            "id": backup_id,
            "kind": kind,
            "engine": "postgresql",
            "parent": parent.backup_id if parent else None,
            "created": started.isoformat(),
            "database": {
                "label": made["label"],
                "type": made["type"],
                "prior": made.get("prior"),
                "stop": made.get("timestamp", {}).get("stop"),
                "bytes": made.get("info", {}).get("size"),
                "stored_bytes": made.get("info", {}).get("repository", {}).get("delta"),
                "name": connection.settings_dict["NAME"],
                "tables": table_counts(),
            },
            **files_part,
        }
        target = directory / f"{backup_id}{archive.SUFFIX}"
        size, digest = archive.write(target, manifest, members)
    return services._save_record(
        backup_id=backup_id,
        kind=kind,
        engine_name="postgresql",
        parent=parent,
        started=started,
        size=size,
        digest=digest,
        path=target,
        manifest=manifest,
    )


def restore(*, target: str, until: str | None) -> dict[str, Any]:
    """Restore the data directory with pgBackRest (the server must be stopped; start it
    afterwards) and the evidence files from our archives."""
    chain = services.sidecar_chain(target)
    with tempfile.TemporaryDirectory(dir=services.backup_dir(), prefix=".restore-") as tmp:
        try:
            rebuilt = services.rebuild(chain, Path(tmp))
        except archive.DamagedBackup as exc:
            raise services.BackupError(f"恢复失败：{exc}") from exc
        label = rebuilt.manifest["database"]["label"]
        connection.close()
        args = ["--delta", "--target-action=promote"]
        if until:
            args += ["--type=time", f"--target={until}"]
        else:
            args += [f"--set={label}", "--type=immediate"]
        pgbackrest(*args, "restore")
        files = services._put_evidence(rebuilt.evidence)
    return {
        "restored": chain[-1]["id"],
        "chain": [e["id"] for e in chain],
        "created": chain[-1]["created"],
        "pgbackrest_label": label,
        "until": until,
        "evidence_files": files,
        "next": "请启动 PostgreSQL；恢复完成后服务器自动结束恢复模式。",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drill(latest: Backup) -> dict[str, Any]:
    """Restore the latest chain into a scratch data directory, start it on a free port,
    compare every table's row count with the manifest and verify the audit chain."""
    chain = [services._sidecar(r) for r in services.chain_of(latest)]
    scratch = Path(tempfile.mkdtemp(prefix="jifen-drill-"))
    data = scratch / "data"
    pg_ctl = str(Path(settings.PG_BINDIR) / "pg_ctl")
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(scratch, PG_OS_USER)
        rebuilt = services.rebuild(chain, scratch)
        label = rebuilt.manifest["database"]["label"]
        pgbackrest(
            f"--pg1-path={data}",
            f"--set={label}",
            "--type=immediate",
            "--target-action=promote",
            "--archive-mode=off",
            "restore",
        )
        # A scratch server: its own socket folder, no TCP, anyone local trusted.
        if not (data / "postgresql.conf").exists():  # Debian keeps it in /etc/postgresql
            (data / "postgresql.conf").write_text("")
        (data / "pg_hba.conf").write_text("local all all trust\n")
        conf = data / "postgresql.auto.conf"
        with conf.open("a") as fh:
            fh.write("\narchive_mode = 'off'\n")
        if os.geteuid() == 0:
            for path in (data / "postgresql.conf", data / "pg_hba.conf", conf):
                shutil.chown(path, PG_OS_USER)
        port = _free_port()
        options = f"-p {port} -k {scratch} -c listen_addresses='' -c archive_mode=off"
        subprocess.run(
            _as_pg(
                [
                    pg_ctl,
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(scratch / "pg.log"),
                    "-w",
                    "-t",
                    "300",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        started = True
        dbname = rebuilt.manifest["database"]["name"]
        url = f"postgres://{PG_OS_USER}@%2F{str(scratch)[1:].replace('/', '%2F')}:{port}/{dbname}"
        found = _wait_counts(scratch, port, dbname)
        expected = rebuilt.manifest["database"]["tables"]
        wrong = sorted(n for n in set(expected) | set(found) if expected.get(n) != found.get(n))
        if wrong:
            raise services.BackupError(
                f"备份 {latest.backup_id} 恢复后的表行数与清单不符：{'、'.join(wrong[:10])}"
            )
        report = services.verify_restored_chain(url)
        if not report["ok"]:
            raise services.BackupError(
                f"备份 {latest.backup_id} 恢复后的审计链校验未通过：{report['problem']}"
            )
        return {
            **rebuilt.checks,
            "chain": rebuilt.chain,
            "pgbackrest_label": label,
            "tables": len(expected),
            "rows": sum(expected.values()),
            "audit_events": report["checked"],
            "audit_chain": "ok",
        }
    except archive.DamagedBackup as exc:
        raise services.BackupError(str(exc)) from exc
    except subprocess.CalledProcessError as exc:
        log = (scratch / "pg.log").read_text()[-800:] if (scratch / "pg.log").exists() else ""
        raise services.BackupError(f"恢复演练的临时数据库无法启动：{log or exc}") from exc
    finally:
        if started:
            subprocess.run(
                _as_pg([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_counts(scratch: Path, port: int, dbname: str) -> dict[str, int]:
    """Row counts of the scratch server's tables, once it has left recovery."""
    import psycopg

    deadline = time.monotonic() + 300
    while True:
        try:
            with psycopg.connect(
                host=str(scratch), port=port, dbname=dbname, user=PG_OS_USER
            ) as con:
                if con.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    raise psycopg.OperationalError("still in recovery")
                names = [
                    r[0]
                    for r in con.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                ]
                return {
                    n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
                    for n in sorted(names)
                }
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
