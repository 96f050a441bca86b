"""The database (数据库): size, connections, long transactions and errors.

PostgreSQL: its statistics views — ``pg_stat_activity`` (connections by state, transactions
older than ``inspect_long_transaction_minutes``), ``pg_stat_database`` (deadlocks, conflicts,
temporary files, the rollback ratio) and ``pg_database_size``. SQLite: the file's size, the
write-ahead log's size, ``PRAGMA quick_check`` and the free-list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from jifen.ops import parameters

from .findings import ABNORMAL, NORMAL, WARNING, Finding, make

GROUP = "数据库"
MB = 1024 * 1024


@dataclass(frozen=True)
class DbMeasurements:
    vendor: str  # sqlite | postgresql
    size_bytes: int
    connections: int = 1
    connections_by_state: dict[str, int] = field(default_factory=dict)
    # Ages in minutes of the transactions open longer than the "long" threshold, oldest first.
    long_transactions: list[float] = field(default_factory=list)
    deadlocks: int = 0  # new since the previous daily inspection
    deadlocks_total: int = 0  # PostgreSQL's count since its statistics were reset
    conflicts: int = 0
    temp_files: int = 0
    temp_bytes: int = 0
    commits: int = 0
    rollbacks: int = 0
    # SQLite only
    wal_bytes: int = 0
    quick_check: str = "ok"
    freelist_pages: int = 0
    page_count: int = 0


def measure_db(previous_deadlocks: int | None = None) -> DbMeasurements:
    """Read the database's own figures. ``previous_deadlocks``: the cumulative count seen by
    the previous inspection (PostgreSQL counts deadlocks since its statistics were reset)."""
    if connection.vendor == "postgresql":
        return _measure_postgresql(previous_deadlocks)
    return _measure_sqlite()


def _measure_postgresql(previous_deadlocks: int | None) -> DbMeasurements:
    minutes = int(parameters.get("inspect_long_transaction_minutes"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend' "
            "GROUP BY 1"
        )
        by_state = {state: int(n) for state, n in cursor.fetchall()}
        cursor.execute(
            "SELECT extract(epoch FROM now() - xact_start) / 60 FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND xact_start IS NOT NULL AND xact_start < now() - make_interval(mins => %s) "
            "ORDER BY xact_start",
            [minutes],
        )
        long_tx = [round(float(age), 1) for (age,) in cursor.fetchall()]
        cursor.execute(
            "SELECT deadlocks, conflicts, temp_files, temp_bytes, xact_commit, xact_rollback "
            "FROM pg_stat_database WHERE datname = current_database()"
        )
        deadlocks, conflicts, temp_files, temp_bytes, commits, rollbacks = (
            int(v or 0) for v in cursor.fetchone()
        )
    new_deadlocks = deadlocks
    if previous_deadlocks is not None and previous_deadlocks <= deadlocks:
        new_deadlocks = deadlocks - previous_deadlocks
    return DbMeasurements(
        vendor="postgresql",
        size_bytes=size,
        connections=sum(by_state.values()),
        connections_by_state=by_state,
        long_transactions=long_tx,
        deadlocks=new_deadlocks,
        deadlocks_total=deadlocks,
        conflicts=conflicts,
        temp_files=temp_files,
        temp_bytes=temp_bytes,
        commits=commits,
        rollbacks=rollbacks,
    )


def _measure_sqlite() -> DbMeasurements:
    name = Path(str(connection.settings_dict["NAME"]))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        page_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA freelist_count")
        free = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA quick_check")
        check = "; ".join(str(row[0]) for row in cursor.fetchall()[:5])
    size = name.stat().st_size if name.is_file() else pages * page_size
    wal = Path(f"{name}-wal")
    return DbMeasurements(
        vendor="sqlite",
        size_bytes=size,
        wal_bytes=wal.stat().st_size if wal.is_file() else 0,
        quick_check=check,
        freelist_pages=free,
        page_count=pages,
    )


def check_db(m: DbMeasurements) -> list[Finding]:
    p = parameters.get
    found = [
        make(
            GROUP,
            "db_size",
            "数据库大小",
            round(m.size_bytes / MB, 1),
            unit=" MB",
            warn=p("inspect_db_size_mb_warn"),
        ),
    ]
    if m.vendor == "postgresql":
        states = "，".join(f"{k} {v}" for k, v in sorted(m.connections_by_state.items()))
        found.append(
            make(
                GROUP,
                "db_connections",
                "数据库连接数",
                m.connections,
                unit=" 个",
                warn=p("inspect_db_connections_warn"),
                critical=p("inspect_db_connections_critical"),
                note=states,
            )
        )
        long_minutes = p("inspect_long_transaction_minutes")
        critical_minutes = p("inspect_long_transaction_critical_minutes")
        oldest = m.long_transactions[0] if m.long_transactions else 0.0
        status = NORMAL
        if m.long_transactions:
            status = ABNORMAL if oldest >= critical_minutes else WARNING
        found.append(
            Finding(
                GROUP,
                "db_long_transactions",
                "长事务数",
                len(m.long_transactions),
                f"超过 {long_minutes} 分钟未结束的事务 ≥ 1 个警告；"
                f"最长超过 {critical_minutes} 分钟异常",
                status,
                unit=" 个",
                note=f"最长 {oldest} 分钟" if m.long_transactions else "",
            )
        )
        found.append(
            make(
                GROUP,
                "db_deadlocks",
                "死锁次数（自上次巡检）",
                m.deadlocks,
                unit=" 次",
                warn=p("inspect_db_deadlocks_warn"),
                note=f"冲突 {m.conflicts} 次，临时文件 {m.temp_files} 个"
                f"（{round(m.temp_bytes / MB, 1)} MB）",
            )
        )
        total = m.commits + m.rollbacks
        ratio = round(100 * m.rollbacks / total, 2) if total else 0.0
        found.append(
            make(
                GROUP,
                "db_rollbacks",
                "事务回滚率",
                ratio,
                unit="%",
                warn=p("inspect_db_rollback_percent_warn"),
                note=f"提交 {m.commits} 次，回滚 {m.rollbacks} 次（统计重置以来）",
            )
        )
    else:
        ok = m.quick_check.strip().lower() == "ok"
        found.append(
            Finding(
                GROUP,
                "db_integrity",
                "数据库完整性检查（quick_check）",
                m.quick_check,
                "结果不是 ok 即异常",
                NORMAL if ok else ABNORMAL,
            )
        )
        found.append(
            make(
                GROUP,
                "db_wal",
                "预写日志（WAL）大小",
                round(m.wal_bytes / MB, 1),
                unit=" MB",
                warn=p("inspect_db_wal_mb_warn"),
            )
        )
        free = round(100 * m.freelist_pages / m.page_count, 1) if m.page_count else 0.0
        found.append(
            make(
                GROUP,
                "db_freelist",
                "空闲页占比",
                free,
                unit="%",
                warn=p("inspect_db_freelist_percent_warn"),
                note=f"{m.freelist_pages} / {m.page_count} 页",
            )
        )
    return found
