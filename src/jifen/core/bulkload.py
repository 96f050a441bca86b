"""Bulk loads on PostgreSQL: secondary indexes and foreign keys built once after the rows.

Inserting millions of rows into a table with many indexes and foreign keys costs an index
insertion per index and a trigger-run lookup per foreign key for every row (measured for the
verification items, 11 per application: about four fifths of the insert's time). Building an
index afterwards sorts the table once; adding a foreign key back checks every row with one
set-based query. Both are DDL inside the caller's transaction, so the load stays
all-or-nothing, and the schema afterwards is exactly what it was (the definitions are read from
the catalog and replayed).

The price: ACCESS EXCLUSIVE on the table until the transaction ends (no one else reads it
meanwhile), so this is for loads that dwarf the table (a round's import), not everyday writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models

# Memory for the index builds at the end of a load (the server default, 64 MB, spills a
# million-row sort to disk).
MAINTENANCE_WORK_MEM = "256MB"


@contextmanager
def indexes_built_after(model: type[models.Model]) -> Iterator[None]:
    """Drop ``model``'s foreign keys and the indexes that back no constraint, run the body,
    then build them again. The primary key and unique constraints stay (an ``ON CONFLICT``
    and concurrent writers still see them). Must run inside a transaction; a no-op except on
    PostgreSQL."""
    if connection.vendor != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "a bulk load must run inside a transaction"
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        foreign_keys = cur.fetchall()
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname",
            [table],
        )
        indexes = cur.fetchall()
        # Foreign-key checks still pending (other tables' rows of this transaction, deferred
        # to the commit) forbid altering the tables they involve: run them now.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _ in foreign_keys:
            cur.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, definition in foreign_keys:
            # Validates every row in one query (a join), not a trigger per row.
            cur.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
