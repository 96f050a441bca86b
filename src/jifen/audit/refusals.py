"""Refused requests on the record, without letting a flood of them slow the system.

What is recorded: a request refused on an *object endpoint* (its URL names a record, e.g.
``/my/applications/12/``: 404 "not found" for a record that is not the caller's, 403, or 401
on the API) and every *role refusal* (403 anywhere: a page or API operation the caller's role
may not use). Not recorded: a plain unknown URL, and a page without an object that simply
has nothing to show. The pages report their refusals from
:class:`jifen.web.middleware.ServiceErrorMiddleware`, the API from its exception handlers
(:mod:`jifen.api.api`), both through :func:`audit_refusal`.

Each event says who (the account, or nobody), what (the object's type and id when the URL
names one, the URL's name and arguments, the method and the path without its query string),
when, where (address, user agent, channel) and why (not_found / forbidden /
not_authenticated, the status and the message shown).

Flood control. Appending to the chain serialises on the chain head, so a burst of refusals
must not turn into a burst of appends. Per *source* (the account, or the address of an
anonymous caller) and reason, at most ``AUDIT_REFUSALS_PER_WINDOW`` refusals per window of
``AUDIT_REFUSAL_WINDOW_SECONDS`` are written one by one; the rest are only counted in the
shared cache (``django.core.cache``: the database table, or Redis) and written afterwards as
one summary event per source, reason and window ("另有 437 次同类拒绝未逐条记录"). A window's
summaries are written by the first refusal of a later window (any source), or by
``manage.py audit_checkpoint`` (the scheduler runs it), whichever comes first.

The counts are exact with Redis; with the database cache (no atomic increment) concurrent
refusals of one source may be under-counted by a few. Cache entries live
``SUMMARY_LOOKBACK_WINDOWS`` windows; a summary not written by then is lost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpRequest

from .context import audit_context, current_context
from .models import AuditEvent
from .services import record_refusal

REFUSED_ACTION = "access.refused"
SUMMARY_ACTION = "access.refused_summary"
REASONS = ("not_found", "forbidden", "not_authenticated")
# URL arguments that name a record, and the record's model.
OBJECT_ARGUMENTS = {
    "application_id": "applications.application",
    "link_id": "applications.employmentlink",
    "evidence_id": "applications.evidence",
    "user_id": "accounts.user",
}
# ``pk`` names a record of the URL namespace's main model.
PK_BY_NAMESPACE = {"applications": "applications.application"}
# Windows after which pending counts are dropped; audit_checkpoint looks this far back.
SUMMARY_LOOKBACK_WINDOWS = 120
# A refusal first looks this many windows back for summaries still to write.
INLINE_LOOKBACK_WINDOWS = 2
_PREFIX = "jifen-audit-refusals"


def _now() -> float:
    return time.time()


def _window() -> int:
    return max(1, int(getattr(settings, "AUDIT_REFUSAL_WINDOW_SECONDS", 60)))


def _limit() -> int:
    return max(0, int(getattr(settings, "AUDIT_REFUSALS_PER_WINDOW", 20)))


def _ttl() -> int:
    return _window() * (SUMMARY_LOOKBACK_WINDOWS + 2)


def _count_key(bucket: int, source: str, reason: str) -> str:
    return f"{_PREFIX}:{bucket}:{source}:{reason}"


def _pending_key(bucket: int) -> str:
    return f"{_PREFIX}:{bucket}:pending"


def actor_of(request: HttpRequest) -> Any:
    """The account behind ``request``: the API's token user, or the signed-in user; None."""
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if getattr(candidate, "is_authenticated", False) and getattr(candidate, "pk", None):
            return candidate
    return None


def _target(match: Any, kwargs: dict[str, str]) -> tuple[str, str]:
    for name, label in OBJECT_ARGUMENTS.items():
        if name in kwargs:
            return label, kwargs[name]
    if "pk" in kwargs and match.namespace in PK_BY_NAMESPACE:
        return PK_BY_NAMESPACE[match.namespace], kwargs["pk"]
    return "", ""


def _register(bucket: int, entry: dict[str, Any]) -> None:
    """Add ``entry`` (a source over its limit) to the window's list of summaries to write."""
    # Once per source and window, so the lock is rarely contended; after 0.25 s without it the
    # entry is added anyway (a lost entry loses a summary, a wait would slow the refusal).
    lock = f"{_pending_key(bucket)}:lock"
    locked = False
    for _ in range(50):
        locked = cache.add(lock, 1, timeout=5)
        if locked:
            break
        time.sleep(0.005)
    try:
        pending = cache.get(_pending_key(bucket)) or []
        pending.append(entry)
        cache.set(_pending_key(bucket), pending, timeout=_ttl())
    finally:
        if locked:
            cache.delete(lock)


def _admit(source: str, reason: str, now: float, actor: Any) -> bool:
    """Count the refusal; True when it is to be written as an event of its own."""
    bucket = int(now // _window())
    key = _count_key(bucket, source, reason)
    cache.add(key, 0, timeout=_ttl())
    try:
        count = cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=_ttl())
        count = 1
    if count == _limit() + 1:
        context = current_context()
        _register(
            bucket,
            {
                "source": source,
                "reason": reason,
                "actor": actor.pk if actor is not None else None,
                "ip": context.ip,
                "user_agent": context.user_agent,
                "channel": context.channel,
            },
        )
    return count <= _limit()


def _write_summary(bucket: int, entry: dict[str, Any], extra: int) -> AuditEvent:
    actor = None
    if entry.get("actor") is not None:
        actor = get_user_model()._default_manager.filter(pk=entry["actor"]).first()
    window = _window()
    start = datetime.fromtimestamp(bucket * window, tz=UTC)
    # The summary speaks for the refused requests: their address, user agent and channel.
    with audit_context(
        ip=entry.get("ip", ""), user_agent=entry.get("user_agent", ""),
        channel=entry.get("channel") or "system",
    ):
        return record_refusal(
            actor=actor,
            action=SUMMARY_ACTION,
            after={
                "reason": entry["reason"],
                "count": extra,
                "source": entry["source"],
                "window_start": start.isoformat(),
                "window_seconds": window,
                "recorded_individually": _limit(),
            },
            detail=f"另有 {extra} 次同类拒绝未逐条记录",
        )


def flush_refusal_summaries(
    now: float | None = None, lookback: int = SUMMARY_LOOKBACK_WINDOWS
) -> list[AuditEvent]:
    """Write the summaries of the ended windows of the last ``lookback`` that have any, once
    each (the first caller to claim a window writes it). Returns the events written."""
    now = _now() if now is None else now
    current = int(now // _window())
    written = []
    for bucket in range(current - lookback, current):
        pending = cache.get(_pending_key(bucket))
        if not pending or not cache.add(f"{_pending_key(bucket)}:written", 1, timeout=_ttl()):
            continue
        for entry in pending:
            count = cache.get(_count_key(bucket, entry["source"], entry["reason"])) or 0
            extra = int(count) - _limit()
            if extra > 0:
                written.append(_write_summary(bucket, entry, extra))
    return written


def audit_refusal(
    request: HttpRequest, *, reason: str, status: int, message: str = ""
) -> AuditEvent | None:
    """Record (or count) that ``request`` was refused. Returns the event written, or None
    when this refusal is not recorded (see the module's docstring) or only counted."""
    if reason not in REASONS:
        raise ValueError(f"unknown refusal reason {reason!r}; expected one of {REASONS}")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None  # no view answered: a plain unknown URL
    kwargs = {str(k): str(v)[:64] for k, v in match.kwargs.items()}
    if reason != "forbidden" and not kwargs:
        return None  # not an object endpoint, and not a role refusal
    now = _now()
    flush_refusal_summaries(now, lookback=INLINE_LOOKBACK_WINDOWS)
    actor = actor_of(request)
    source = f"user:{actor.pk}" if actor is not None else f"ip:{current_context().ip or '-'}"
    if not _admit(source, reason, now, actor):
        return None
    target_type, target_id = _target(match, kwargs)
    return record_refusal(
        actor=actor,
        action=REFUSED_ACTION,
        target_type=target_type,
        target_id=target_id,
        after={
            "reason": reason,
            "status": status,
            "method": request.method,
            "path": request.path[:200],
            "url_name": match.view_name,
            "kwargs": kwargs,
        },
        detail=(message or "")[:200],
    )
