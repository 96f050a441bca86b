"""The scheduled backup jobs (see jifen.ops.schedule): weekly full, daily incremental, the
monthly recovery drill. Each backup prunes by the retention rule when it is done."""

from __future__ import annotations

from jifen.ops.models import Backup

from . import services


def _line(record: Backup) -> str:
    return f"{record.get_kind_display()} {record.backup_id}：{record.bytes} 字节"


def backup_full() -> str:
    return _line(services.take_backup(kind=Backup.Kind.FULL))


def backup_incremental() -> str:
    """An incremental on the newest backup; a full backup when there is none yet."""
    services.sync_records()
    has_base = Backup.objects.filter(status=Backup.Status.OK, engine=services.engine()).exists()
    kind = Backup.Kind.INCREMENTAL if has_base else Backup.Kind.FULL
    return _line(services.take_backup(kind=kind))


def backup_drill() -> str:
    drill = services.run_drill()
    if not drill.ok:
        raise RuntimeError(f"恢复演练未通过：{drill.failure}")
    return f"恢复演练通过：备份 {drill.backup.backup_id}，用时 {drill.rto_seconds} 秒"
