"""A settable clock for the incident and complaint tests: ``timezone.now()`` returns what the
test set (Beijing time given as naive local moments), so SLA times come out exact."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        self.now = timezone.make_aware(datetime(year, month, day, hour, minute))
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock at Monday 2026-05-11 12:00 that ``timezone.now()`` reads until the test ends
    (each test module declares its ``clock`` fixture with this)."""
    c = Clock(timezone.make_aware(datetime(2026, 5, 11, 12, 0)))
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute))
