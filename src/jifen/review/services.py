"""Verification writes. Decisions by reviewers and re-checks build on ``ledger``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jifen.applications.models import Application, Status
from jifen.core.bulkload import indexes_built_after
from jifen.rounds.models import Round

from . import sla
from .kinds import KIND_DEPARTMENT, KINDS
from .models import ItemState, VerificationItem

CHUNK = 2000


# Above this many applications at once (a round's import), PostgreSQL builds the items'
# secondary indexes and checks their foreign keys after the rows, not row by row.
BULK_ITEMS = 50_000
# Applications per INSERT … SELECT on PostgreSQL (ids as ranges: no parameter per id).
PG_CHUNK = 100_000


@transaction.atomic
def open_items(application_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """One waiting item per kind for each employer-submitted application that has none yet
    (idempotent); each with its department's time limit. Returns the items made.

    Set-based (one INSERT … SELECT per chunk of applications), so that a bulk import of a
    round's applications opens its items without building millions of objects. On
    PostgreSQL the chunks are id ranges and a large batch is a bulk load
    (``core.bulkload``: 11 million items at a million applications).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = sorted(set(application_ids))
    if not ids:
        return 0
    if connection.vendor == "postgresql":
        if len(ids) >= BULK_ITEMS:
            with indexes_built_after(VerificationItem):
                return _open_items_pg(ids, now, today)
        return _open_items_pg(ids, now, today)
    rounds: dict[int, Round] = {}
    made = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        round_ids = set(
            Application.objects.filter(id__in=chunk).values_list("round_id", flat=True).distinct()
        )
        for round_id in round_ids:
            rnd = rounds.get(round_id) or Round.objects.get(pk=round_id)
            rounds[round_id] = rnd
            kinds_sql, kind_params = _kinds(rnd, today, as_date="%s")
            placeholders = ", ".join(["%s"] * len(chunk))
            sql = (
                f"{_INSERT} SELECT a.id, a.round_id, k.kind, k.department, %s, NULL, '', NULL, "
                f"%s, k.due_on, NULL FROM {_APPS} a CROSS JOIN ({kinds_sql}) k "
                f"WHERE a.id IN ({placeholders}) AND a.round_id = %s AND a.status = %s "
                f"AND NOT EXISTS (SELECT 1 FROM {_ITEMS} i WHERE i.application_id = a.id "
                f"AND i.kind = k.kind)"
            )
            params = [
                ItemState.WAITING, now, *kind_params, *chunk, round_id,
                Status.EMPLOYER_SUBMITTED,
            ]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                made += max(cursor.rowcount, 0)
    return made


_ITEMS = VerificationItem._meta.db_table
_APPS = Application._meta.db_table
_INSERT = (
    f"INSERT INTO {_ITEMS} (application_id, round_id, kind, department, state, matched, "
    f"recheck, latest_decision_id, opened_at, due_on, decided_at)"
)


def _kinds(rnd: Round, today: Any, *, as_date: str) -> tuple[str, list[Any]]:
    """The eleven kinds as a derived table (kind, department, due_on) and its parameters."""
    sql = " UNION ALL ".join(
        f"SELECT %s AS kind, %s AS department, {as_date} AS due_on" for _ in KINDS
    )
    params: list[Any] = []
    for kind in KINDS:
        department = KIND_DEPARTMENT[kind]
        params += [kind, department, sla.due_on(rnd, department, today)]
    return sql, params


def _runs(ids: Sequence[int], most: int) -> list[tuple[int, int]]:
    """Sorted ids as (first, last) ranges of consecutive ids, at most ``most`` ids each (an
    import draws its applications' ids from the sequence: one range, or a few)."""
    runs: list[tuple[int, int]] = []
    first = last = ids[0]
    for i in ids[1:]:
        if i == last + 1 and i - first < most:
            last = i
            continue
        runs.append((first, last))
        first = last = i
    runs.append((first, last))
    return runs


def _open_items_pg(ids: Sequence[int], now: datetime, today: Any) -> int:
    # ON CONFLICT on the one-item-per-kind constraint instead of an anti-join: the
    # uniqueness check is made by the index insertion anyway. A bare parameter in a UNION
    # is text to PostgreSQL: the dates are cast.
    made = 0
    rounds: dict[int, Round] = {}
    with connection.cursor() as cursor:
        for first, last in _runs(ids, PG_CHUNK):
            cursor.execute(
                f"SELECT DISTINCT round_id FROM {_APPS} WHERE id BETWEEN %s AND %s", [first, last]
            )
            for (round_id,) in cursor.fetchall():
                rnd = rounds.get(round_id) or Round.objects.get(pk=round_id)
                rounds[round_id] = rnd
                kinds_sql, kind_params = _kinds(rnd, today, as_date="%s::date")
                cursor.execute(
                    f"{_INSERT} SELECT a.id, a.round_id, k.kind, k.department, %s, NULL, '', "
                    f"NULL, %s, k.due_on, NULL FROM {_APPS} a CROSS JOIN ({kinds_sql}) k "
                    f"WHERE a.id BETWEEN %s AND %s AND a.round_id = %s AND a.status = %s "
                    f"ORDER BY a.id, k.kind "
                    f"ON CONFLICT (application_id, kind) DO NOTHING",
                    [ItemState.WAITING, now, *kind_params, first, last, round_id,
                     Status.EMPLOYER_SUBMITTED],
                )
                made += max(cursor.rowcount, 0)
    return made


def _on_passed(sender: Any, application_ids: Sequence[int], **kwargs: Any) -> None:
    open_items(application_ids)
