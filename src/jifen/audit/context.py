"""Where the current request (or command) comes from: client IP, user agent, channel.

:class:`jifen.audit.middleware.AuditContextMiddleware` fills it for every request; code outside
a request (management commands, background jobs, tests) uses :func:`audit_context`::

    with audit_context(channel="cli"):
        record_event(actor=None, action="round.create", target=round_)

``record_event``/``record_access`` read it through :func:`current_context`. Stored in a
:class:`contextvars.ContextVar`, so threads and asyncio tasks each see their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

CHANNELS = ("web", "api", "cli", "system")
USER_AGENT_MAX_LENGTH = 255
IP_MAX_LENGTH = 45  # the longest textual IPv6 address


@dataclass(frozen=True, slots=True)
class AuditContext:
    ip: str = ""
    user_agent: str = ""
    channel: str = "system"


# AuditContext is frozen, so one shared default instance is safe.
request_context: ContextVar[AuditContext] = ContextVar(
    "jifen_audit_request_context",
    default=AuditContext(),  # noqa: B039
)


def current_context() -> AuditContext:
    """The context in force now (``ip=""``, ``channel="system"`` when nobody set one)."""
    return request_context.get()


def short_user_agent(value: str) -> str:
    """The User-Agent header trimmed to what the log keeps (one line, at most 255 chars)."""
    return " ".join(value.split())[:USER_AGENT_MAX_LENGTH]


@contextmanager
def audit_context(
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    channel: str | None = None,
) -> Iterator[AuditContext]:
    """Set (some of) the context for the ``with`` block; unnamed parts keep their value."""
    changes: dict[str, str] = {}
    if ip is not None:
        changes["ip"] = ip[:IP_MAX_LENGTH]
    if user_agent is not None:
        changes["user_agent"] = short_user_agent(user_agent)
    if channel is not None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown audit channel {channel!r}; expected one of {CHANNELS}")
        changes["channel"] = channel
    context = replace(current_context(), **changes)
    token = request_context.set(context)
    try:
        yield context
    finally:
        request_context.reset(token)
