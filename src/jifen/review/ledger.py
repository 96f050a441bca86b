"""Writing the decision ledger: every decision is a new row that supersedes the item's latest.

The item (``VerificationItem``) carries the state the queues filter on; it is set here, in the
same transaction as the ledger row, and nowhere else. Callers hold the item locked
(``select_for_update``) or, for a comparison, the round's kind (one comparison at a time).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from .models import Action, Decision, ItemState, VerificationItem

_STATE_OF_ACTION = {
    Action.CONFIRM: ItemState.CONFIRMED,
    Action.CORRECT: ItemState.CORRECTED,
    Action.REJECT: ItemState.REJECTED,
}


def state_after(action: str, matched: bool | None, previous: str) -> str:
    """The item's state after a decision: a comparison's outcome, a reviewer's decision, or
    (a re-check upheld) the state it had."""
    if action == Action.COMPARE:
        return ItemState.MATCHED if matched else ItemState.DIFFERENT
    if action == Action.UPHOLD:
        return previous
    return _STATE_OF_ACTION[action]


def append(
    item: VerificationItem,
    *,
    action: str,
    source: str,
    value: Any,
    reason: str = "",
    actor: Any = None,
    matched: bool | None = None,
    comparison: Any = None,
    now: datetime | None = None,
) -> Decision:
    """One decision on ``item`` (held locked by the caller); the item's state follows it."""
    now = now or timezone.now()
    decision = Decision.objects.create(
        item=item,
        application_id=item.application_id,
        kind=item.kind,
        action=action,
        source=source,
        matched=matched,
        value=value,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
        comparison=comparison,
        supersedes_id=item.latest_decision_id,
        created_at=now,
    )
    item.state = state_after(action, matched, item.state)
    if action == Action.COMPARE:
        item.matched = matched
    item.latest_decision = decision
    item.decided_at = now
    item.save(update_fields=["state", "matched", "latest_decision", "decided_at"])
    return decision


@dataclass(frozen=True, slots=True)
class ComparedItem:
    item_id: int
    application_id: int
    latest_decision_id: int | None
    value: Any
    matched: bool


# Rows a statement of the comparison's insert carries.
INSERT_BATCH = 5000
_DECISION_COLUMNS = (
    "item", "application", "kind", "action", "source", "matched", "value", "reason",
    "actor", "comparison", "supersedes", "created_at",
)


def append_comparisons(
    entries: Sequence[ComparedItem], *, kind: str, comparison: Any, now: datetime
) -> None:
    """The decisions of a comparison (all of them, or one batch): one ledger row per item,
    then the items' state from those rows.

    A comparison writes a row for every application of the round (100,000s), so both steps
    skip the ORM's model instances, which cost several times the database's own work: the
    rows go in by PostgreSQL's ``COPY`` (a fifth of the time of single inserts there) or by
    ``executemany`` (SQLite), each value prepared by its field as the ORM would; the items
    follow in one ``UPDATE … FROM`` the new rows.
    """
    if not entries:
        return
    meta = Decision._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in _DECISION_COLUMNS)
    value_field = meta.get_field("value")
    created = meta.get_field("created_at").get_db_prep_save(now, connection)
    comparison_id = comparison.pk

    def rows(batch: Sequence[ComparedItem]) -> list[tuple[Any, ...]]:
        return [
            (
                e.item_id, e.application_id, kind, Action.COMPARE, "comparison", e.matched,
                value_field.get_db_prep_save(e.value, connection), "", None, comparison_id,
                e.latest_decision_id, created,
            )
            for e in batch
        ]

    # Rows of this call are the ones above the ledger's highest id now (ids only grow).
    floor = Decision.objects.aggregate(top=Max("id"))["top"] or 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for start in range(0, len(entries), INSERT_BATCH):
            batch = rows(entries[start : start + INSERT_BATCH])
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
                with raw.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) "
                    f"VALUES ({', '.join(['%s'] * len(_DECISION_COLUMNS))})",
                    batch,
                )
    _follow_new_decisions(entries, comparison_id=comparison_id, floor=floor, now=now)


def update_from_supported() -> bool:
    """PostgreSQL, and SQLite from 3.33, know ``UPDATE … FROM``."""
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 33)
    )


def _follow_new_decisions(
    entries: Sequence[ComparedItem], *, comparison_id: int, floor: int, now: datetime
) -> None:
    """Each compared item's state, outcome and latest decision from its new ledger row."""
    if update_from_supported():
        qn = connection.ops.quote_name
        items, decisions = VerificationItem._meta.db_table, Decision._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(items)} SET "
                f"state = CASE WHEN d.matched THEN %s ELSE %s END, matched = d.matched, "
                f"decided_at = %s, latest_decision_id = d.id "
                f"FROM {qn(decisions)} AS d "
                f"WHERE d.comparison_id = %s AND d.id > %s AND d.item_id = {qn(items)}.id",
                [
                    ItemState.MATCHED, ItemState.DIFFERENT,
                    VerificationItem._meta.get_field("decided_at").get_db_prep_save(
                        now, connection
                    ),
                    comparison_id, floor,
                ],
            )
        return
    # Without UPDATE … FROM: two set-based updates (matched, different) per batch of items.
    newest = Subquery(
        Decision.objects.filter(item=OuterRef("pk")).order_by("-id").values("id")[:1]
    )
    for matched, state in ((True, ItemState.MATCHED), (False, ItemState.DIFFERENT)):
        ids = [e.item_id for e in entries if e.matched is matched]
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            VerificationItem.objects.filter(id__in=ids[start : start + 900]).update(
                state=state, matched=matched, decided_at=now, latest_decision_id=newest
            )
