"""Verification writes. Decisions by reviewers and re-checks build on ``ledger``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.applications.models import Application, Status

from . import sla
from .kinds import KIND_DEPARTMENT, KINDS
from .models import VerificationItem


@transaction.atomic
def open_items(application_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """One waiting item per kind for each employer-submitted application that has none yet
    (idempotent); each with its department's time limit. Returns the items made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = 0
    ids = list(application_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        have = set(
            VerificationItem.objects.filter(application_id__in=chunk).values_list(
                "application_id", "kind"
            )
        )
        apps = Application.objects.filter(
            id__in=chunk, status=Status.EMPLOYER_SUBMITTED
        ).select_related("round")
        due: dict[tuple[int, str], Any] = {}
        new = []
        for app in apps:
            for kind in KINDS:
                if (app.pk, kind) in have:
                    continue
                department = KIND_DEPARTMENT[kind]
                key = (app.round_id, department)
                if key not in due:
                    due[key] = sla.due_on(app.round, department, today)
                new.append(
                    VerificationItem(
                        application=app,
                        round_id=app.round_id,
                        kind=kind,
                        department=department,
                        opened_at=now,
                        due_on=due[key],
                    )
                )
        VerificationItem.objects.bulk_create(new, batch_size=1000)
        made += len(new)
    return made


def _on_passed(sender: Any, application_ids: Sequence[int], **kwargs: Any) -> None:
    open_items(application_ids)
