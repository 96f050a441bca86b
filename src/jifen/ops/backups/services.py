"""Take, list, prune, restore and drill backups (the ``backup`` and ``restore`` commands).

Every backup is one encrypted archive in settings.BACKUP_DIR (see :mod:`.archive`) with its
sidecar and its :class:`~jifen.ops.models.Backup` record. A *chain* is a full backup and the
incrementals after it, each the child of the one before. On SQLite the archive holds the
database (whole, or the changed pages); on PostgreSQL pgBackRest holds the database and the
archive holds the rest (see :mod:`.postgres`). Either way the archive holds the evidence files
(an incremental only those new or changed), the configuration and the logs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jifen.audit.services import record_event
from jifen.core.errors import ServiceError
from jifen.ops import parameters
from jifen.ops.alerts import raise_alert
from jifen.ops.models import Alert, Backup, RecoveryDrill

from . import archive, sqlite

BACKUP_ACTION = "ops.backup"
BACKUP_PRUNE_ACTION = "ops.backup_prune"
RESTORE_ACTION = "ops.restore"
DRILL_ACTION = "ops.backup_drill"

KINDS = {"full": Backup.Kind.FULL, "incremental": Backup.Kind.INCREMENTAL}

# Settings worth keeping with a backup (what this deployment looked like); never the keys.
_PLAIN_SETTINGS = (
    "DEBUG",
    "ALLOWED_HOSTS",
    "TIME_ZONE",
    "LANGUAGE_CODE",
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_MAX_FILES",
    "STATS_MIN_GROUP",
    "AUDIT_CHECKPOINT_REQUIRED",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_AGE",
)
_SECRET_SETTINGS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY")


class BackupError(ServiceError):
    code = "backup_error"


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def engine() -> str:
    vendor = connections["default"].vendor
    return "postgresql" if vendor == "postgresql" else vendor


def _iso(when: datetime) -> str:
    return timezone.localtime(when).isoformat(timespec="seconds")


# --- files of a backup: evidence and logs -----------------------------------------------------


def _tree(root: Path, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every file under ``root``: relative path → sha256, size and mtime (a file with the size
    and mtime it had in ``before``, the previous backup's listing, is not read again)."""
    if not root.is_dir():
        return {}
    listing = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(".part"):
            name = path.relative_to(root).as_posix()
            stat = path.stat()
            known = before.get(name, {})
            if known.get("bytes") == stat.st_size and known.get("mtime_ns") == stat.st_mtime_ns:
                digest = known["sha256"]
            else:
                digest = sqlite.file_sha256(path)
            listing[name] = {"sha256": digest, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return listing


def _log_dir() -> Path:
    return Path(getattr(settings, "LOG_DIR", Path(settings.VAR_DIR) / "log"))


def _configuration() -> dict[str, Any]:
    """The configuration kept with a backup: settings module, parameters, the non-secret
    settings, and for each key only whether it is set and a fingerprint to compare with."""
    import hashlib

    plain = {}
    for name in _PLAIN_SETTINGS:
        if hasattr(settings, name):
            value = getattr(settings, name)
            plain[name] = value if isinstance(value, (bool, int, float, str)) else list(value)
    database = settings.DATABASES["default"]
    plain["DATABASE"] = {
        "ENGINE": database["ENGINE"],
        "NAME": str(database.get("NAME", "")),
        "HOST": database.get("HOST", ""),
        "PORT": str(database.get("PORT", "")),
    }
    keys = {
        name: {
            "set": bool(getattr(settings, name, "")),
            "fingerprint": hashlib.sha256(
                b"jifen backup key fingerprint:" + str(getattr(settings, name, "")).encode()
            ).hexdigest()[:16],
        }
        for name in _SECRET_SETTINGS
    }
    return {
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
        "settings": plain,
        "keys": keys,
        "parameters": {key: parameters.get(key) for key in parameters.specs()},
    }


# --- records and sidecars ---------------------------------------------------------------------


def _sidecar(record: Backup) -> dict[str, Any]:
    return {
        "id": record.backup_id,
        "kind": record.kind,
        "engine": record.engine,
        "parent": record.parent.backup_id if record.parent else None,
        "created": record.created.isoformat(),
        "finished": record.finished.isoformat() if record.finished else None,
        "bytes": record.bytes,
        "sha256": record.sha256,
        "path": record.path,
        "manifest": record.manifest,
    }


def sync_records() -> int:
    """Bring back the records of backups whose sidecar is in BACKUP_DIR but whose record is
    not in the database (after a restore to an earlier point); returns how many."""
    known = set(Backup.objects.values_list("backup_id", flat=True))
    added = 0
    for data in archive.read_sidecars(backup_dir()):
        if data["id"] in known:
            continue
        parent = Backup.objects.filter(backup_id=data.get("parent") or "").first()
        Backup.objects.create(
            backup_id=data["id"],
            kind=data["kind"],
            engine=data["engine"],
            parent=parent,
            created=parse_datetime(data["created"]),
            finished=parse_datetime(data["finished"]) if data.get("finished") else None,
            bytes=data["bytes"],
            sha256=data["sha256"],
            path=str(backup_dir() / Path(data["path"]).name),
            manifest=data.get("manifest", {}),
        )
        known.add(data["id"])
        added += 1
    return added


def _new_id(kind: str, when: datetime) -> str:
    local = timezone.localtime(when)
    base = f"{local:%Y%m%d-%H%M%S}-{'F' if kind == Backup.Kind.FULL else 'I'}"
    candidate, n = base, 1
    while Backup.objects.filter(backup_id=candidate).exists() or any(
        backup_dir().glob(f"{candidate}.*")
    ):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def chain_of(record: Backup) -> list[Backup]:
    """The full backup and every incremental up to ``record``, oldest first."""
    chain = [record]
    while chain[0].parent_id is not None:
        chain.insert(0, chain[0].parent)
    if chain[0].kind != Backup.Kind.FULL:
        raise BackupError(f"备份 {record.backup_id} 的备份链不完整：找不到其全量备份。")
    return chain


def listing() -> list[Backup]:
    """The backups kept (oldest first)."""
    sync_records()
    return list(Backup.objects.filter(status=Backup.Status.OK).order_by("created", "id"))


def as_json(record: Backup) -> dict[str, Any]:
    return {
        "id": record.backup_id,
        "kind": record.kind,
        "created": record.created.isoformat(),
        "bytes": record.bytes,
        "sha256": record.sha256,
        "path": record.path,
    }


# --- taking a backup --------------------------------------------------------------------------


def take_backup(*, kind: str, actor: Any = None) -> Backup:
    """Take a full or incremental backup now, then prune by the retention rule. A failure is
    recorded (status failed), raises the alert ``backup_failed`` and a BackupError."""
    if kind not in KINDS:
        raise BackupError("备份类型只能是 full（全量）或 incremental（增量）。", field="kind")
    sync_records()
    started = timezone.now()
    try:
        with _exclusive():
            record = _take(kind=kind, started=started)
    except Exception as exc:
        message = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
        _record_failure(kind=kind, started=started, message=message, actor=actor)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"备份失败：{message}") from exc
    with transaction.atomic():
        record_event(
            actor=actor,
            action=BACKUP_ACTION,
            target=record,
            after={"kind": kind, "bytes": record.bytes, "sha256": record.sha256},
        )
    prune(actor=actor)
    return record


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One backup at a time (the scheduler's and an operator's could meet)."""
    directory = backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("另一个备份正在进行，请稍后再试。") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _take(*, kind: str, started: datetime) -> Backup:
    if engine() == "sqlite":
        return _take_sqlite(kind=kind, started=started)
    if engine() == "postgresql":
        from . import postgres

        return postgres.take(kind=kind, started=started)
    raise BackupError(f"不支持的数据库类型：{engine()}")


def _record_failure(*, kind: str, started: datetime, message: str, actor: Any) -> None:
    with transaction.atomic():
        failed = Backup.objects.create(
            backup_id=_new_id(kind, started) + "-X",
            kind=kind,
            engine=engine(),
            created=started,
            finished=timezone.now(),
            status=Backup.Status.FAILED,
            error=message[:4000],
        )
        record_event(
            actor=actor,
            action=BACKUP_ACTION,
            target=failed,
            after={"kind": kind, "status": "failed"},
            detail=message[:500],
        )
    raise_alert(
        source="backup",
        code="backup_failed",
        level=Alert.Level.CRITICAL,
        message=f"{Backup.Kind(kind).label}失败：{message}"[:2000],
        details={"backup": failed.backup_id, "kind": kind},
    )


def _parent_for_incremental(engine_name: str) -> Backup:
    parent = (
        Backup.objects.filter(status=Backup.Status.OK, engine=engine_name)
        .order_by("-created", "-id")
        .first()
    )
    if parent is None:
        raise BackupError("还没有可用的全量备份：请先进行一次全量备份（backup full）。")
    return parent


def collect_files(
    parent_manifest: dict[str, Any] | None, workdir: Path
) -> tuple[dict[str, Any], list[tuple[str, Path]]]:
    """The evidence and log listings for the manifest and the files to store: all of them in
    a full backup, in an incremental only the new or changed ones."""
    manifest: dict[str, Any] = {}
    members: list[tuple[str, Path]] = []
    for part, root in (("evidence", Path(settings.EVIDENCE_ROOT)), ("logs", _log_dir())):
        before = (parent_manifest or {}).get(part, {}).get("files", {})
        files = _tree(root, before)
        stored = [
            name
            for name, meta in files.items()
            if parent_manifest is None or before.get(name, {}).get("sha256") != meta["sha256"]
        ]
        manifest[part] = {"files": files, "stored": stored}
        members += [(f"{part}/{name}", root / name) for name in stored]
    config = workdir / "configuration.json"
    config.write_text(json.dumps(_configuration(), ensure_ascii=False, indent=1, default=str))
    members.append(("configuration.json", config))
    return manifest, members


def _take_sqlite(*, kind: str, started: datetime) -> Backup:
    directory = backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    parent = _parent_for_incremental("sqlite") if kind == Backup.Kind.INCREMENTAL else None
    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as tmp:
        work = Path(tmp)
        snap = work / "snapshot.sqlite3"
        sqlite.snapshot(snap)
        parent_manifest = None
        db_part: dict[str, Any] = {
            "page_size": sqlite.page_size(snap),
            "sha256": sqlite.file_sha256(snap),
            "bytes": snap.stat().st_size,
        }
        if parent is not None:
            archive.check_file(Path(parent.path), parent.sha256, parent.backup_id)
            parent_manifest = archive.read_manifest(Path(parent.path), parent.backup_id)
            previous = parent_manifest["database"]["pages"]
            if parent_manifest["database"]["page_size"] != db_part["page_size"]:
                raise BackupError("数据库页大小已改变，请进行全量备份。")
            pages_file = work / "pages.bin"
            with pages_file.open("wb") as out:
                changed, hashes = sqlite.write_changed_pages(snap, previous, out)
            db_members = [("database/pages.bin", pages_file)]
        else:
            hashes = sqlite.page_hashes(snap)
            changed = len(hashes)
            db_members = [("database/jifen.sqlite3", snap)]
        db_part.update(
            page_count=len(hashes),
            pages_stored=changed,
            pages=hashes,
            tables=sqlite.table_counts(snap),
        )
        files_part, file_members = collect_files(parent_manifest, work)
        backup_id = _new_id(kind, started)
        manifest = {
            "id": backup_id,
            "kind": kind,
            "engine": "sqlite",
            "parent": parent.backup_id if parent else None,
            "created": started.isoformat(),
            "database": db_part,
            **files_part,
        }
        target = directory / f"{backup_id}{archive.SUFFIX}"
        size, digest = archive.write(target, manifest, db_members + file_members)
    return _save_record(
        backup_id=backup_id,
        kind=kind,
        engine_name="sqlite",
        parent=parent,
        started=started,
        size=size,
        digest=digest,
        path=target,
        manifest=manifest,
    )


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without its long lists (for the record and the sidecar)."""
    db = {k: v for k, v in manifest.get("database", {}).items() if k != "pages"}
    out: dict[str, Any] = {"database": db}
    for part in ("evidence", "logs"):
        files = manifest.get(part, {}).get("files", {})
        out[part] = {
            "files": len(files),
            "bytes": sum(meta["bytes"] for meta in files.values()),
            "stored": len(manifest.get(part, {}).get("stored", [])),
        }
    return out


def _save_record(
    *,
    backup_id: str,
    kind: str,
    engine_name: str,
    parent: Backup | None,
    started: datetime,
    size: int,
    digest: str,
    path: Path,
    manifest: dict[str, Any],
) -> Backup:
    record = Backup.objects.create(
        backup_id=backup_id,
        kind=kind,
        engine=engine_name,
        parent=parent,
        created=started,
        finished=timezone.now(),
        bytes=size,
        sha256=digest,
        path=str(path),
        manifest=summary(manifest),
    )
    archive.write_sidecar(path, _sidecar(record))
    return record


# --- retention --------------------------------------------------------------------------------


def prune(*, actor: Any = None, now: datetime | None = None) -> list[str]:
    """Remove whole chains beyond the retention rule: keep the newest ``backup_keep_full``
    chains and every chain with a backup younger than ``backup_keep_days``; the chain of the
    newest backup is never removed. Returns the ids removed."""
    now = now or timezone.now()
    keep_full = max(1, int(parameters.get("backup_keep_full")))
    keep_since = now - timedelta(days=int(parameters.get("backup_keep_days")))
    kept = list(Backup.objects.filter(status=Backup.Status.OK).order_by("created", "id"))
    if not kept:
        return []
    chains: dict[int, list[Backup]] = {}
    for record in kept:
        try:
            head = chain_of(record)[0]
        except BackupError:
            continue
        chains.setdefault(head.pk, []).append(record)
    order = sorted(chains, key=lambda pk: chains[pk][0].created)
    newest_chain = next(pk for pk in order if kept[-1] in chains[pk])
    removed: list[str] = []
    for position, pk in enumerate(order):
        members = chains[pk]
        recent = max(r.created for r in members) >= keep_since
        if pk == newest_chain or recent or position >= len(order) - keep_full:
            continue
        for record in reversed(members):
            with transaction.atomic():
                for path in (Path(record.path), archive.sidecar_path(Path(record.path))):
                    path.unlink(missing_ok=True)
                record.status = Backup.Status.PRUNED
                record.save(update_fields=["status"])
                record_event(
                    actor=actor,
                    action=BACKUP_PRUNE_ACTION,
                    target=record,
                    before={"status": "ok"},
                    after={"status": "pruned"},
                )
            removed.append(record.backup_id)
    return removed


# --- rebuilding a chain (restore and drill) ---------------------------------------------------


@dataclass
class Rebuilt:
    database: Path | None
    evidence: Path
    manifest: dict[str, Any]
    chain: list[str]
    checks: dict[str, Any] = field(default_factory=dict)


def sidecar_chain(target: str) -> list[dict[str, Any]]:
    """The chain ending at ``target`` (an id or ``latest``) from the sidecars alone (the
    database may be the thing lost), oldest first."""
    found = {d["id"]: d for d in archive.read_sidecars(backup_dir())}
    for entry in found.values():  # the folder may have been moved or copied elsewhere
        entry["path"] = str(backup_dir() / Path(entry["path"]).name)
    if not found:
        raise BackupError(f"备份目录 {backup_dir()} 中没有可用的备份。")
    if target == "latest":
        end = max(found.values(), key=lambda d: (d["created"], d["id"]))
    elif target in found:
        end = found[target]
    else:
        raise BackupError(f"找不到备份 {target}（可用 backup list 查看）。", field="backup")
    chain = [end]
    while chain[0]["kind"] != Backup.Kind.FULL:
        parent = chain[0].get("parent")
        if parent not in found:
            raise BackupError(
                f"备份 {chain[0]['id']} 的上一级备份 {parent} 已不存在，备份链不完整。"
            )
        chain.insert(0, found[parent])
    return chain


def rebuild(chain: list[dict[str, Any]], work: Path) -> Rebuilt:
    """Decrypt and check every archive of ``chain`` and rebuild, in ``work``, the database
    (SQLite) and the evidence files as of the chain's last backup. Raises DamagedBackup (naming
    the backup) on the first thing that does not match."""
    checks: dict[str, Any] = {"archives": 0, "pages_applied": 0, "files": 0}
    db = work / "restored.sqlite3"
    evidence = work / "evidence"
    evidence.mkdir()
    sources: dict[str, tuple[str, str]] = {}  # evidence name -> (backup id, sha256)
    manifest: dict[str, Any] = {}
    for index, entry in enumerate(chain):
        backup_id = entry["id"]
        path = Path(entry["path"])
        archive.check_file(path, entry["sha256"], backup_id)
        if index and entry.get("parent") != chain[index - 1]["id"]:
            raise archive.DamagedBackup(f"备份 {backup_id} 与上一级备份的链接不符")
        with archive.opened(path, backup_id, work) as tar:
            handle = tar.extractfile(archive.MANIFEST)
            manifest = json.loads(handle.read()) if handle else {}
            if manifest.get("id") != backup_id or manifest.get("parent") != entry.get("parent"):
                raise archive.DamagedBackup(f"备份 {backup_id} 的清单与记录不符")
            part = manifest.get("database", {})
            if manifest.get("engine") == "sqlite":
                if index == 0:
                    member = tar.extractfile("database/jifen.sqlite3")
                    if member is None:
                        raise archive.DamagedBackup(f"备份 {backup_id} 缺少数据库文件")
                    with db.open("wb") as out:
                        shutil.copyfileobj(member, out)
                else:
                    member = tar.extractfile("database/pages.bin")
                    if member is None:
                        raise archive.DamagedBackup(f"备份 {backup_id} 缺少增量数据页")
                    checks["pages_applied"] += sqlite.apply_pages(
                        db, member, part["page_size"], part["page_count"]
                    )
                if sqlite.file_sha256(db) != part["sha256"]:
                    raise archive.DamagedBackup(
                        f"备份 {backup_id} 恢复出的数据库校验值（SHA-256）与清单不符"
                    )
            for name in manifest.get("evidence", {}).get("stored", []):
                member = tar.extractfile(f"evidence/{name}")
                expected = manifest["evidence"]["files"][name]["sha256"]
                if member is None:
                    raise archive.DamagedBackup(f"备份 {backup_id} 缺少材料文件 {name}")
                target = evidence / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(member, out)
                if sqlite.file_sha256(target) != expected:
                    raise archive.DamagedBackup(f"备份 {backup_id} 中的材料文件 {name} 校验不符")
                sources[name] = (backup_id, expected)
        checks["archives"] += 1
    wanted = manifest.get("evidence", {}).get("files", {})
    for name, meta in wanted.items():
        if sources.get(name, ("", ""))[1] != meta["sha256"]:
            raise archive.DamagedBackup(f"备份 {chain[-1]['id']} 的备份链中缺少材料文件 {name}")
    for extra in set(sources) - set(wanted):
        (evidence / extra).unlink()
    checks["files"] = len(wanted)
    database = db if db.exists() else None
    if database is not None:
        problem = sqlite.integrity(database)
        if problem != "ok":
            raise archive.DamagedBackup(f"备份 {chain[-1]['id']} 恢复出的数据库不完整：{problem}")
    return Rebuilt(
        database=database,
        evidence=evidence,
        manifest=manifest,
        chain=[e["id"] for e in chain],
        checks=checks,
    )


# --- restore ----------------------------------------------------------------------------------


def restore(
    *, target: str = "latest", actor: Any = None, until: str | None = None
) -> dict[str, Any]:
    """Rebuild the database and evidence files from the chain ending at ``target`` and put
    them in place. The rebuilt database replaces the live one only after every check passed,
    by an atomic rename (a failed restore leaves the live database as it was)."""
    if engine() == "postgresql":
        from . import postgres

        return postgres.restore(target=target, until=until)
    if until:
        raise BackupError("按时间点恢复（--time）只适用于 PostgreSQL。", field="time")
    live = Path(str(settings.DATABASES["default"]["NAME"]))
    if str(live) in ("", ":memory:") or "mode=memory" in str(live):
        raise BackupError("当前数据库在内存中，无法恢复到文件。")
    chain = sidecar_chain(target)
    work = Path(tempfile.mkdtemp(dir=live.parent, prefix=".restore-"))
    try:
        try:
            rebuilt = rebuild(chain, work)
        except archive.DamagedBackup as exc:
            raise BackupError(f"恢复失败：{exc}") from exc
        assert rebuilt.database is not None
        connections.close_all()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        os.replace(rebuilt.database, live)
        restored_files = _put_evidence(rebuilt.evidence)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sync_records()
    with transaction.atomic():
        record_event(
            actor=actor,
            action=RESTORE_ACTION,
            target_type="ops.backup",
            target_id=chain[-1]["id"],
            after={"chain": [e["id"] for e in chain], "evidence_files": restored_files},
        )
    return {
        "restored": chain[-1]["id"],
        "chain": [e["id"] for e in chain],
        "created": chain[-1]["created"],
        "database": str(live),
        "evidence_files": restored_files,
    }


def _put_evidence(source: Path) -> int:
    root = Path(settings.EVIDENCE_ROOT)
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copyfile(path, partial)
        os.replace(partial, target)
        count += 1
    return count


# --- recovery drill ---------------------------------------------------------------------------


def verify_restored_chain(database_url: str) -> dict[str, Any]:
    """Run the audit chain's verification against another database (a subprocess with
    DATABASE_URL pointing at it); {"ok", "checked", "problem"}."""
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": database_url}
    code = (
        "import json, django; django.setup();"
        "from jifen.audit.services import verify_chain; r = verify_chain();"
        "print(json.dumps({'ok': r.ok, 'checked': r.checked, 'problem': r.problem}))"
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.base")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"ok": False, "checked": 0, "problem": (proc.stderr or proc.stdout)[-500:]}


def run_drill(*, actor: Any = None) -> RecoveryDrill:
    """Restore the latest chain into a scratch place and check it: every checksum, the row
    count of every table against the manifest, the audit chain. Records the drill (RTO: time
    taken; RPO: age of the data); a failure raises the alert ``backup_drill``."""
    sync_records()
    started = timezone.now()
    clock = time.monotonic()
    latest = (
        Backup.objects.filter(status=Backup.Status.OK, engine=engine())
        .order_by("-created", "-id")
        .first()
    )
    checks: dict[str, Any] = {}
    failure = ""
    try:
        if latest is None:
            raise BackupError("没有可用于恢复演练的备份。")
        if engine() == "postgresql":
            from . import postgres

            checks = postgres.drill(latest)
        else:
            checks = _drill_sqlite(latest)
    except (BackupError, archive.DamagedBackup) as exc:
        failure = exc.message if isinstance(exc, ServiceError) else str(exc)
    except Exception as exc:  # a drill's failure is recorded, never lost
        failure = f"{type(exc).__name__}: {exc}"
    finished = timezone.now()
    with transaction.atomic():
        drill = RecoveryDrill.objects.create(
            started=started,
            finished=finished,
            ok=not failure,
            backup=latest,
            rto_seconds=round(time.monotonic() - clock, 3),
            rpo_seconds=round((started - latest.created).total_seconds(), 3) if latest else None,
            checks=checks,
            failure=failure,
            actor=actor,
        )
        record_event(
            actor=actor,
            action=DRILL_ACTION,
            target=drill,
            after={"ok": drill.ok, "backup": latest.backup_id if latest else None},
            detail=failure[:500],
        )
    if failure:
        raise_alert(
            source="backup",
            code="backup_drill",
            level=Alert.Level.CRITICAL,
            message=f"恢复演练失败：{failure}"[:2000],
            details={"backup": latest.backup_id if latest else None, "drill": drill.pk},
        )
    return drill


def _drill_sqlite(latest: Backup) -> dict[str, Any]:
    records = chain_of(latest)
    chain = [_sidecar(r) for r in records]
    with tempfile.TemporaryDirectory(dir=backup_dir(), prefix=".drill-") as tmp:
        rebuilt = rebuild(chain, Path(tmp))
        assert rebuilt.database is not None
        expected = rebuilt.manifest["database"]["tables"]
        found = sqlite.table_counts(rebuilt.database)
        wrong = sorted(
            name for name in set(expected) | set(found) if expected.get(name) != found.get(name)
        )
        if wrong:
            raise BackupError(
                f"备份 {latest.backup_id} 恢复后的表行数与清单不符：{'、'.join(wrong[:10])}"
            )
        chain_report = verify_restored_chain(f"sqlite:///{rebuilt.database}")
        if not chain_report["ok"]:
            raise BackupError(
                f"备份 {latest.backup_id} 恢复后的审计链校验未通过：{chain_report['problem']}"
            )
        return {
            **rebuilt.checks,
            "chain": rebuilt.chain,
            "tables": len(expected),
            "rows": sum(expected.values()),
            "audit_events": chain_report["checked"],
            "audit_chain": "ok",
        }


def drill_json(drill: RecoveryDrill) -> dict[str, Any]:
    return {
        "ok": drill.ok,
        "backup": drill.backup.backup_id if drill.backup else None,
        "rto_seconds": drill.rto_seconds,
        "rpo_seconds": drill.rpo_seconds,
        "checks": drill.checks,
        **({"error": drill.failure} if drill.failure else {}),
    }


def ages(records: Iterable[Backup], now: datetime | None = None) -> list[tuple[Backup, timedelta]]:
    now = now or timezone.now()
    return [(r, now - r.created) for r in records]


# --- asked for in the console -----------------------------------------------------------------


def request_backup(*, actor: Any, kind: str) -> None:
    """Queue a backup an operator asked for (run by the task worker after this commit)."""
    from jifen.ops.tasks import backup_task

    if kind not in KINDS:
        raise BackupError("备份类型只能是全量备份或增量备份。", field="kind")
    if (
        kind == Backup.Kind.INCREMENTAL
        and not Backup.objects.filter(status=Backup.Status.OK, engine=engine()).exists()
    ):
        raise BackupError("还没有可用的全量备份：请先进行一次全量备份。", field="kind")
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: backup_task.enqueue(kind, actor_id))


def request_drill(*, actor: Any) -> None:
    """Queue a recovery drill an operator asked for."""
    from jifen.ops.tasks import drill_task

    if not Backup.objects.filter(status=Backup.Status.OK, engine=engine()).exists():
        raise BackupError("没有可用于恢复演练的备份：请先进行一次全量备份。")
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: drill_task.enqueue(actor_id))
