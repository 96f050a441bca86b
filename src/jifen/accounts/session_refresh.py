"""The idle time-out without a database write per request.

Django's SESSION_SAVE_EVERY_REQUEST writes the session (an UPDATE in a transaction, and the
cache) on every request just to push its expiry forward; on the opening day that was one
write for every page and every autosave. Here a signed-in session is written again only when
its last refresh is older than SESSION_REFRESH_SECONDS (60): the idle time-out
(SESSION_COOKIE_AGE, 30 minutes) then ends between 29 and 30 minutes after the last request.
The absolute lifetime (SessionLifetimeMiddleware) is unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REFRESHED_AT_KEY = "jifen_refreshed_at"


class SessionRefreshMiddleware:
    """Marks a used, non-empty session as modified when it was last saved more than
    SESSION_REFRESH_SECONDS ago, so SessionMiddleware saves it (with a new expiry). Placed
    right after SessionMiddleware, so its answer runs first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        now = int(time.time())
        stamp = session.get(REFRESHED_AT_KEY)
        # A session saved anyway (modified by the page) notes the time too.
        if (
            session.modified
            or not isinstance(stamp, int)
            or now - stamp >= settings.SESSION_REFRESH_SECONDS
        ):
            session[REFRESHED_AT_KEY] = now
        return response
