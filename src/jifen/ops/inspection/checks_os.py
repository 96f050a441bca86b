"""The operating system (操作系统): CPU, memory, disk of the data folder and of the database's
filesystem, load average — measured with psutil."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from jifen.ops import parameters

from .findings import Finding, human_bytes, make

GROUP = "操作系统"


@dataclass(frozen=True)
class Disk:
    label: str  # 数据目录 / 数据库所在磁盘
    path: str
    total_bytes: int
    used_bytes: int
    percent: float


@dataclass(frozen=True)
class OsMeasurements:
    cpu_percent: float
    memory_percent: float
    load_15: float
    cpu_count: int
    disks: list[Disk] = field(default_factory=list)


def _database_folder() -> Path:
    """Where the database's files are: the SQLite file's folder, or PostgreSQL's data
    directory when it is on this machine and readable (else the data folder)."""
    if connection.vendor == "sqlite":
        return Path(str(connection.settings_dict["NAME"])).resolve().parent
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            folder = Path(cursor.fetchone()[0])
        if folder.exists():
            return folder
    except Exception:  # not a superuser: the setting is hidden
        pass
    return Path(settings.VAR_DIR)


def _disk(label: str, path: Path) -> Disk:
    import psutil

    while not path.exists() and path != path.parent:
        path = path.parent
    usage = psutil.disk_usage(str(path))
    return Disk(label, str(path), usage.total, usage.used, round(usage.percent, 1))


def measure_os() -> OsMeasurements:
    import psutil

    var_dir = Path(settings.VAR_DIR)
    disks = [_disk("数据目录", var_dir)]
    db_disk = _disk("数据库所在磁盘", _database_folder())
    if os.stat(db_disk.path).st_dev != os.stat(disks[0].path).st_dev:
        disks.append(db_disk)
    return OsMeasurements(
        cpu_percent=round(psutil.cpu_percent(interval=0.5), 1),
        memory_percent=round(psutil.virtual_memory().percent, 1),
        load_15=round(psutil.getloadavg()[2], 2),
        cpu_count=psutil.cpu_count() or 1,
        disks=disks,
    )


def check_os(m: OsMeasurements) -> list[Finding]:
    p = parameters.get
    found = [
        make(
            GROUP,
            "cpu",
            "CPU 使用率",
            m.cpu_percent,
            unit="%",
            warn=p("inspect_cpu_percent_warn"),
            critical=p("inspect_cpu_percent_critical"),
        ),
        make(
            GROUP,
            "memory",
            "内存使用率",
            m.memory_percent,
            unit="%",
            warn=p("inspect_memory_percent_warn"),
            critical=p("inspect_memory_percent_critical"),
        ),
        make(
            GROUP,
            "load",
            "每核平均负载（15 分钟）",
            round(m.load_15 / max(m.cpu_count, 1), 2),
            warn=p("inspect_load_per_cpu_warn"),
            critical=p("inspect_load_per_cpu_critical"),
            note=f"负载 {m.load_15}，{m.cpu_count} 核",
        ),
    ]
    for n, disk in enumerate(m.disks):
        found.append(
            make(
                GROUP,
                "disk" if n == 0 else f"disk_{n}",
                f"磁盘使用率（{disk.label}）",
                disk.percent,
                unit="%",
                warn=p("inspect_disk_percent_warn"),
                critical=p("inspect_disk_percent_critical"),
                note=f"{disk.path}：已用 {human_bytes(disk.used_bytes)} / "
                f"共 {human_bytes(disk.total_bytes)}",
            )
        )
    return found
