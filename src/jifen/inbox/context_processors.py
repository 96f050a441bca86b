"""The header's "站内消息" entry and its unread badge, on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from jifen.accounts.second_factor import needs_second_factor

from .selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_shown``: whether the header offers the message centre; ``inbox_unread``: the
    unread count, asked only when a page shows it (lazily, once per page).

    Not for visitors, nor for a session that has not finished signing in (a staff member
    still owing the second factor, anyone owing a new password): the message centre would
    only send them back to that step (jifen.accounts.middleware), so the pages they may open
    meanwhile show no entry and ask nothing of the database.
    """
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or needs_second_factor(user)
        or getattr(user, "must_change_password", False)
    ):
        return {"inbox_shown": False, "inbox_unread": 0}
    return {"inbox_shown": True, "inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
