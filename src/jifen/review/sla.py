"""Time limits of the departments (working days, a round parameter)."""

from __future__ import annotations

from datetime import date

from jifen.core.working_days import add_working_days, working_days_between

from .kinds import DEFAULT_VERIFICATION_DAYS


def days_for(round_: object, department: str) -> int:
    """The working days ``department`` has for its items in the round."""
    configured = getattr(round_, "verification_days", None) or {}
    return int(configured.get(department, DEFAULT_VERIFICATION_DAYS))


def due_on(round_: object, department: str, opened: date) -> date:
    """The last working day for an item opened on ``opened``."""
    return add_working_days(opened, days_for(round_, department))


def waiting_days(opened: date, today: date) -> int:
    """Working days an item has waited (the day it arrived not counted)."""
    return working_days_between(opened, today)
