"""Run queries read-only and with a time limit, on PostgreSQL and on SQLite.

PostgreSQL: the block runs in a transaction (or a savepoint) set READ ONLY with a local
``statement_timeout``; it is always rolled back at the end, which also undoes the settings
(``SET LOCAL`` would otherwise outlive a released savepoint).
SQLite: ``PRAGMA query_only`` and a progress handler that interrupts a statement running past
the deadline; both are reset at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections, transaction

from jifen.core.errors import Conflict, ServiceError

TIMEOUT_MESSAGE = "统计查询超过了{seconds}秒的时间限制，已中止；请缩小筛选范围或减少分组后重试"
READ_ONLY_MESSAGE = "统计查询只能读取数据，不能写入"
FAILED_MESSAGE = "统计查询未能完成，请检查条件后重试"


class QueryTimeout(ServiceError):
    status = 422
    code = "query_timeout"


class QueryRefused(Conflict):
    code = "query_refused"


def _is_timeout(exc: BaseException) -> bool:
    cause = exc.__cause__
    name = type(cause).__name__ if cause is not None else ""
    return name == "QueryCanceled" or "interrupted" in str(exc).lower()


def _is_write(exc: BaseException) -> bool:
    cause = exc.__cause__
    name = type(cause).__name__ if cause is not None else ""
    text = str(exc).lower()
    return name == "ReadOnlySqlTransaction" or "readonly" in text or "read-only" in text


@contextmanager
def read_only(seconds: float, using: str = "default") -> Iterator[None]:
    """Inside: every statement reads only and each must finish within ``seconds``.

    Database errors become service errors: a timeout (``QueryTimeout``), a write
    (``QueryRefused``) or any other failure (``QueryRefused``), with Chinese messages.
    """
    conn = connections[using]
    shown = f"{seconds:g}"
    try:
        with transaction.atomic(using=using):
            if conn.vendor == "postgresql":
                with conn.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [str(max(1, int(seconds * 1000)))],
                    )
                try:
                    yield
                finally:
                    transaction.set_rollback(True, using=using)
            elif conn.vendor == "sqlite":
                conn.ensure_connection()
                raw = conn.connection
                deadline = time.monotonic() + seconds
                raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
                # On the raw connection: after a failed statement Django refuses queries
                # until the atomic block ends, but the connection must be writable again.
                raw.execute("PRAGMA query_only = ON")
                try:
                    yield
                finally:
                    raw.set_progress_handler(None, 0)
                    raw.execute("PRAGMA query_only = OFF")
                    transaction.set_rollback(True, using=using)
            else:  # pragma: no cover - the project runs on these two only
                raise QueryRefused(FAILED_MESSAGE)
    except DatabaseError as exc:
        if _is_timeout(exc):
            raise QueryTimeout(TIMEOUT_MESSAGE.format(seconds=shown)) from exc
        if _is_write(exc):
            raise QueryRefused(READ_ONLY_MESSAGE) from exc
        raise QueryRefused(FAILED_MESSAGE) from exc
