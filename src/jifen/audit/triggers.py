"""Database triggers that make the audit table append-only below the ORM.

The model and its manager already refuse changes; these triggers also stop raw SQL
(``UPDATE``/``DELETE``, on PostgreSQL also ``TRUNCATE``) from changing the log. The only update
they let through is the one Django makes when a user account is deleted: ``actor_id`` set to
NULL with every other column unchanged (the hash covers ``actor_ref`` instead).

A database owner can still drop the triggers; that is what the keyed hash chain and the
checkpoints outside the database are for (``manage.py audit_verify``). Two sanctioned users of
:func:`triggers_lifted`: the ``flush`` command (it erases every table by definition; test
suites flush between transactional tests) and tests that simulate tampering.

SQLite rebuilds a table for most schema changes and loses its triggers with it, and the SQLite
trigger names the table's columns; so after every ``migrate`` the triggers are checked and
re-created when missing or out of date (see ``AuditConfig.ready``). Migration 0001 carries its
own frozen copy of the triggers it creates; this module is the live version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"
MESSAGE = "audit log is append-only"

SQLITE_NO_UPDATE = "audit_auditevent_no_update"
SQLITE_NO_DELETE = "audit_auditevent_no_delete"

PG_FUNCTION = "audit_auditevent_append_only"
PG_ROW_TRIGGER = "audit_auditevent_no_change"
PG_TRUNCATE_TRIGGER = "audit_auditevent_no_truncate"

_PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Deleting a user account sets actor_id to NULL (on_delete=SET_NULL); nothing else.
        IF OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$
"""


def _table_exists(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)


def _sqlite_triggers(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The CREATE TRIGGER statements for the table's current columns, by trigger name."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, TABLE)]
    unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in columns if c != "actor_id")
    abort = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    return {
        SQLITE_NO_UPDATE: (
            f'CREATE TRIGGER "{SQLITE_NO_UPDATE}" BEFORE UPDATE ON "{TABLE}" FOR EACH ROW '
            f'WHEN NOT (OLD."actor_id" IS NOT NULL AND NEW."actor_id" IS NULL AND {unchanged}) '
            f"{abort}"
        ),
        SQLITE_NO_DELETE: (
            f'CREATE TRIGGER "{SQLITE_NO_DELETE}" BEFORE DELETE ON "{TABLE}" FOR EACH ROW {abort}'
        ),
    }


def _sqlite_installed(connection: BaseDatabaseWrapper) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [TABLE],
        )
        return dict(cursor.fetchall())


def _pg_enabled_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) "
            "AND NOT tgisinternal AND tgenabled <> 'D'",
            [TABLE],
        )
        return {row[0] for row in cursor.fetchall()}


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the append-only triggers; a no-op on databases other than SQLite/PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name, sql in _sqlite_triggers(connection).items():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION_SQL)
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_ROW_TRIGGER} ON {TABLE}")
            cursor.execute(
                f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON {TABLE}")
            cursor.execute(
                f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
            )


def remove_triggers(connection: BaseDatabaseWrapper) -> None:
    """Drop the append-only triggers (the PostgreSQL function stays; it is harmless alone)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in (SQLITE_NO_UPDATE, SQLITE_NO_DELETE):
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        elif connection.vendor == "postgresql":
            for name in (PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")


def triggers_installed(connection: BaseDatabaseWrapper) -> bool:
    """True when every append-only trigger is in place, enabled and up to date."""
    if not _table_exists(connection):
        return False
    if connection.vendor == "sqlite":
        return _sqlite_installed(connection) == _sqlite_triggers(connection)
    if connection.vendor == "postgresql":
        return {PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER} <= _pg_enabled_triggers(connection)
    return False


@contextmanager
def triggers_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Run the block without the triggers, and put them back afterwards whatever happens."""
    if not _table_exists(connection):
        yield
        return
    remove_triggers(connection)
    try:
        yield
    finally:
        install_triggers(connection)


def ensure_triggers_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: re-create the triggers when the table has lost or outgrown them."""
    connection = connections[using]
    if (
        connection.vendor in {"sqlite", "postgresql"}
        and _table_exists(connection)
        and not triggers_installed(connection)
    ):
        install_triggers(connection)
