"""Insert-only tables, enforced by the database (triggers refusing UPDATE, DELETE, TRUNCATE).

``AppendOnlyTable`` makes and checks the triggers of a table on SQLite and PostgreSQL; the
registry lets ``manage.py flush`` (the one sanctioned eraser: test suites flush between
transactional tests) lift every registered table's triggers without importing the apps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

Lifter = Callable[[BaseDatabaseWrapper], AbstractContextManager[None]]
_REGISTRY: dict[str, Lifter] = {}


def register(name: str, lifter: Lifter) -> None:
    """Register a table's ``triggers_lifted(connection)`` under ``name`` (idempotent)."""
    _REGISTRY[name] = lifter


@contextmanager
def all_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Every registered table's triggers lifted for the block, and put back afterwards."""
    with ExitStack() as stack:
        for lifter in list(_REGISTRY.values()):
            stack.enter_context(lifter(connection))
        yield


class AppendOnlyTable:
    """The triggers that make ``table`` insert-only (no exception: nothing may change)."""

    def __init__(self, table: str, message: str) -> None:
        self.table = table
        self.message = message
        self.sqlite_names = (f"{table}_no_update", f"{table}_no_delete")
        self.pg_function = f"{table}_insert_only"
        self.pg_triggers = (f"{table}_no_change", f"{table}_no_truncate")

    def _exists(self, connection: BaseDatabaseWrapper) -> bool:
        with connection.cursor() as cursor:
            return self.table in connection.introspection.table_names(cursor)

    def _sqlite_sql(self) -> dict[str, str]:
        abort = f"BEGIN SELECT RAISE(ABORT, '{self.message}'); END"
        upd, dele = self.sqlite_names
        return {
            upd: f'CREATE TRIGGER "{upd}" BEFORE UPDATE ON "{self.table}" FOR EACH ROW {abort}',
            dele: f'CREATE TRIGGER "{dele}" BEFORE DELETE ON "{self.table}" FOR EACH ROW {abort}',
        }

    def install(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for name, sql in self._sqlite_sql().items():
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                    cursor.execute(sql)
            elif connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {self.pg_function}() RETURNS trigger "
                    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{self.message} (% refused)', "
                    f"TG_OP USING ERRCODE = 'restrict_violation'; END; $$"
                )
                row, truncate = self.pg_triggers
                cursor.execute(f"DROP TRIGGER IF EXISTS {row} ON {self.table}")
                cursor.execute(
                    f"CREATE TRIGGER {row} BEFORE UPDATE OR DELETE ON {self.table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {self.pg_function}()"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {truncate} ON {self.table}")
                cursor.execute(
                    f"CREATE TRIGGER {truncate} BEFORE TRUNCATE ON {self.table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {self.pg_function}()"
                )

    def remove(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for name in self.sqlite_names:
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            elif connection.vendor == "postgresql":
                for name in self.pg_triggers:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {self.table}")

    def installed(self, connection: BaseDatabaseWrapper) -> bool:
        if not self._exists(connection):
            return False
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                    [self.table],
                )
                return dict(cursor.fetchall()) == self._sqlite_sql()
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
                    "AND NOT tgisinternal AND tgenabled <> 'D'",
                    [self.table],
                )
                return set(self.pg_triggers) <= {r[0] for r in cursor.fetchall()}
        return False

    @contextmanager
    def triggers_lifted(self, connection: BaseDatabaseWrapper) -> Iterator[None]:
        if not self._exists(connection):
            yield
            return
        self.remove(connection)
        try:
            yield
        finally:
            self.install(connection)

    def ensure_after_migrate(self, sender: Any, using: str = "default", **kwargs: Any) -> None:
        connection = connections[using]
        if (
            connection.vendor in {"sqlite", "postgresql"}
            and self._exists(connection)
            and not self.installed(connection)
        ):
            self.install(connection)
