"""Working days (工作日) on China's official calendar: the departments' time limits count them.

Public holidays and the make-up working days (调休) that the State Council publishes each
year come from the ``chinesecalendar`` package's data. For a year that data does not cover
(before its first year, or a year whose arrangement is not published or not yet in the
installed package) Monday to Friday count as working days: ``calendar_known`` tells which
case applies, so that a deadline computed on the fallback can be flagged or recomputed once
the package is updated.

Pure: no Django, nothing else of ours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chinese_calendar import holidays as _HOLIDAYS
from chinese_calendar import workdays as _MAKEUP_WORKDAYS

# The package's own is_workday() scans its tables for their first and last year on every
# call; a deadline over a queue of thousands of items asks for many days, so look them up once.
_FIRST_YEAR = min(d.year for d in _HOLIDAYS)
_LAST_YEAR = max(d.year for d in _HOLIDAYS)
_ONE_DAY = timedelta(days=1)


def calendar_known(year: int) -> bool:
    """Whether the official holidays and make-up working days of ``year`` are known."""
    return _FIRST_YEAR <= year <= _LAST_YEAR


def _as_date(d: date) -> date:
    # A datetime is a date too, but the package's tables are keyed by plain dates.
    return d.date() if isinstance(d, datetime) else d


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day on the official calendar: a make-up working day (调休,
    even on a weekend), or Monday to Friday except a public holiday.

    Outside the years the package knows (``calendar_known``): Monday to Friday.
    """
    d = _as_date(d)
    if not calendar_known(d.year):
        return d.weekday() < 5
    if d in _MAKEUP_WORKDAYS:
        return True
    return d.weekday() < 5 and d not in _HOLIDAYS


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted, whatever it
    is); ``n == 0`` returns ``start``. A time limit of n working days from a submission on
    ``start`` ends on this day."""
    if n < 0:
        raise ValueError(f"n must not be negative (got {n})")
    d = _as_date(start)
    remaining = n
    while remaining:
        d += _ONE_DAY
        if is_working_day(d):
            remaining -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end`` (0 when ``end`` is not
    after ``start``): how many days of a time limit have been used by ``end``."""
    start, end = _as_date(start), _as_date(end)
    count = 0
    d = start + _ONE_DAY
    while d <= end:
        if is_working_day(d):
            count += 1
        d += _ONE_DAY
    return count
