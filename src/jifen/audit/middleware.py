"""Puts the client's IP address, user agent and channel into the audit context per request."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .context import audit_context

API_PREFIX = "/api/"


def _valid_ip(value: str) -> str:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or — only when ``AUDIT_TRUST_X_FORWARDED_FOR`` is
    True, i.e. a reverse proxy of ours sets the header — the last X-Forwarded-For entry,
    the address that proxy saw (earlier entries come from the client and can be forged)."""
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if entries:
            ip = _valid_ip(entries[-1])
            if ip:
                return ip
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def request_channel(request: HttpRequest) -> str:
    return "api" if request.path.startswith(API_PREFIX) else "web"


class AuditContextMiddleware:
    """Sets :func:`jifen.audit.context.audit_context` for the duration of each request.

    Place it early in ``MIDDLEWARE`` (right after SecurityMiddleware) so that events recorded
    by later middleware (e.g. login signals) carry the context too.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _context(self, request: HttpRequest) -> Any:
        return audit_context(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            channel=request_channel(request),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        with self._context(request):
            return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        with self._context(request):
            return await self.get_response(request)
