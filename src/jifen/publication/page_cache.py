"""The public list's pages as rendered, in the shared cache (the opening day's busiest page).

A published list does not change until it is re-published, so a visitor's page is rendered
once per publication version and served from Redis afterwards: no query, no template. Two
entries per year:

- the year's state (``publication:state:<year>``): the round and its publication as stored,
  dropped whenever either is saved or deleted (``drop_state``, connected in apps.py); whether
  the window is open is worked out from it on every request, so a page is never served after
  its window has closed;
- each rendered page (``publication:page:<year>:v<version>:<closes>:<hash of q, rank,
  page>``): the version is raised by every re-publication and ``closes`` moves with the
  window, so a changed list or window never meets an old page.

Only pages that are the same for everyone are cached: a visitor's (not signed in, no message
waiting). A signed-in person's page carries their name and the logout form, and is rendered
as before (from the cached rows, selectors.public_list).

The reverse proxy may keep such a page too, for a few seconds (``proxy_seconds``): the
answer carries ``X-Accel-Expires`` (nginx's own header, never passed on to the browser, which
still gets ``Cache-Control: private, no-store``), never longer than the window has left to run,
so the list still disappears on time. deploy/nginx/jifen-public-cache.conf caches only
answers that carry it, and never for a request with a session or message cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from jifen.rounds import phases
from jifen.rounds.models import Round

from .models import Publication
from .selectors import CACHE_SECONDS, PublicState

STATE_SECONDS = 3600
_MISSING = "none"
# nginx's header: how long the proxy may keep this answer (it does not reach the browser).
PROXY_HEADER = "X-Accel-Expires"


def state_key(year: int) -> str:
    return f"publication:state:{year}"


def _stored(year: int) -> tuple[Round | None, Publication | None]:
    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        return None, None
    pub = (
        Publication.objects.filter(round=rnd)
        .only("id", "version", "rows", "line", "published_at", "round_id")
        .first()
    )
    return rnd, pub


def public_state(year: int) -> PublicState:
    """selectors.public_state with the round and publication read from the cache."""
    key = state_key(year)
    hit = cache.get(key)
    if hit is None:
        rnd, pub = _stored(year)
        cache.set(key, (rnd, pub) if rnd is not None else _MISSING, STATE_SECONDS)
    elif hit == _MISSING:
        rnd, pub = None, None
    else:
        rnd, pub = hit
    if rnd is None:
        return PublicState(year, "unpublished", None, None)
    window = phases.state_of(rnd, phases.Phase.PUBLICATION).state
    if window == "closed" and pub is not None:
        return PublicState(year, "closed", rnd, pub)
    if window != "open" or pub is None:
        return PublicState(year, "unpublished", rnd, pub)
    return PublicState(year, "open", rnd, pub)


def drop_state(year: int) -> None:
    cache.delete(state_key(year))


def page_key(state: PublicState, *parts: Any) -> str:
    closes = state.round.publication_closes if state.round is not None else None
    stamp = int(closes.timestamp()) if closes is not None else 0
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()[:24]
    return f"publication:page:{state.year}:v{state.publication.version}:{stamp}:{digest}"


def same_for_everyone(request: HttpRequest) -> bool:
    """A visitor's page with no message waiting: nothing in it belongs to this request."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    # len() looks without marking the messages as shown.
    return len(get_messages(request)) == 0


def cached_page(
    request: HttpRequest, state: PublicState, parts: tuple[Any, ...],
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """The page from the cache, or rendered by ``render`` (and kept when it is a visitor's
    successful page)."""
    if not same_for_everyone(request):
        return render()
    key = page_key(state, *parts)
    hit = cache.get(key)
    if hit is not None:
        content, content_type = hit
        return allow_proxy_cache(HttpResponse(content, content_type=content_type), state)
    response = render()
    if response.status_code == 200 and not response.streaming:
        cache.set(key, (response.content, response["Content-Type"]), CACHE_SECONDS)
        allow_proxy_cache(response, state)
    return response


def proxy_seconds(state: PublicState) -> int:
    """How long the reverse proxy may keep an open list's page: PUBLIC_LIST_PROXY_SECONDS,
    cut to the seconds the window has left (0: not at all)."""
    limit = int(getattr(settings, "PUBLIC_LIST_PROXY_SECONDS", 0) or 0)
    if limit <= 0 or not state.open or state.round is None:
        return 0
    closes = state.round.publication_closes
    if closes is None:
        return limit
    left = int((closes - timezone.now()).total_seconds())
    return max(0, min(limit, left))


def allow_proxy_cache(response: HttpResponse, state: PublicState) -> HttpResponse:
    """Mark a page that is the same for everyone as one the reverse proxy may keep."""
    seconds = proxy_seconds(state)
    if seconds > 0:
        response[PROXY_HEADER] = str(seconds)
    return response
