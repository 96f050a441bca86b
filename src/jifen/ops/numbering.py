"""Yearly serial numbers of the operations records (故障单 GZ-2026-0001, 投诉 TS-2026-0001)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

_ATTEMPTS = 20


def next_number(model: type[models.Model], code: str, when: datetime) -> str:
    """The number after the newest of ``when``'s year (no row lock: it would not stop another
    transaction inserting the same next number; :func:`create_numbered` retries instead)."""
    prefix = f"{code}-{timezone.localtime(when).year}-"
    last = (
        model._default_manager.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:04d}"


def create_numbered(model: type[M], code: str, when: datetime, **values: Any) -> M:
    """Create the record with the next number of its year. Two records made at the same moment
    read the same last number; the second insert then fails on the unique number (PostgreSQL
    makes it wait for the first to commit) and is retried in its savepoint with the next one."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                return model._default_manager.create(
                    number=next_number(model, code, when), **values
                )
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
