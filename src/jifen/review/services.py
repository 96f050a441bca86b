"""Verification writes. Decisions by reviewers and re-checks build on ``ledger``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jifen.applications.models import Application, Status
from jifen.rounds.models import Round

from . import sla
from .kinds import KIND_DEPARTMENT, KINDS
from .models import ItemState, VerificationItem

CHUNK = 2000


@transaction.atomic
def open_items(application_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """One waiting item per kind for each employer-submitted application that has none yet
    (idempotent); each with its department's time limit. Returns the items made.

    Set-based (one INSERT … SELECT per chunk of applications), so that a bulk import of a
    round's applications opens its items without building millions of objects.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = sorted(set(application_ids))
    if not ids:
        return 0
    rounds: dict[int, Round] = {}
    # PostgreSQL types a bare parameter in a UNION as text; SQLite stores dates as text.
    as_date = "%s::date" if connection.vendor == "postgresql" else "%s"
    made = 0
    table = VerificationItem._meta.db_table
    app_table = Application._meta.db_table
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        round_ids = set(
            Application.objects.filter(id__in=chunk).values_list("round_id", flat=True).distinct()
        )
        for round_id in round_ids:
            rnd = rounds.get(round_id) or Round.objects.get(pk=round_id)
            rounds[round_id] = rnd
            kinds_sql = " UNION ALL ".join(
                f"SELECT %s AS kind, %s AS department, {as_date} AS due_on" for _ in KINDS
            )
            kind_params: list[Any] = []
            for kind in KINDS:
                department = KIND_DEPARTMENT[kind]
                kind_params += [kind, department, sla.due_on(rnd, department, today)]
            placeholders = ", ".join(["%s"] * len(chunk))
            sql = (
                f"INSERT INTO {table} (application_id, round_id, kind, department, state, "
                f"matched, recheck, latest_decision_id, opened_at, due_on, decided_at) "
                f"SELECT a.id, a.round_id, k.kind, k.department, %s, NULL, '', NULL, %s, "
                f"k.due_on, NULL FROM {app_table} a CROSS JOIN ({kinds_sql}) k "
                f"WHERE a.id IN ({placeholders}) AND a.round_id = %s AND a.status = %s "
                f"AND NOT EXISTS (SELECT 1 FROM {table} i WHERE i.application_id = a.id "
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


def _on_passed(sender: Any, application_ids: Sequence[int], **kwargs: Any) -> None:
    open_items(application_ids)
