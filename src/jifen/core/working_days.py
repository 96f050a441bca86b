"""Working days (placeholder until the chinese-calendar version lands: Monday to Friday)."""

from __future__ import annotations

from datetime import date, timedelta


def is_working_day(d: date) -> bool:
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    d = start
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        n += is_working_day(d)
    return n
