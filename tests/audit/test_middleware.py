"""AuditContextMiddleware: client IP, user agent and channel of the current request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from jifen.audit.context import AuditContext, current_context
from jifen.audit.middleware import AuditContextMiddleware
from jifen.audit.services import record_event

MIDDLEWARE_PATH = "jifen.audit.middleware.AuditContextMiddleware"


def _seen_by_view(request: HttpRequest) -> AuditContext:
    seen: list[AuditContext] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_context())
        return HttpResponse("ok")

    response = AuditContextMiddleware(view)(request)
    assert response.status_code == 200
    return seen[0]


def test_middleware_is_installed() -> None:
    assert MIDDLEWARE_PATH in settings.MIDDLEWARE


def test_remote_addr_user_agent_and_web_channel(rf: RequestFactory) -> None:
    request = rf.get("/apply/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 测试")
    seen = _seen_by_view(request)
    assert seen == AuditContext(ip="203.0.113.7", user_agent="Mozilla/5.0 测试", channel="web")
    assert current_context() == AuditContext()  # reset after the request


def test_api_paths_get_the_api_channel(rf: RequestFactory) -> None:
    assert _seen_by_view(rf.post("/api/v1/applications", REMOTE_ADDR="::1")).channel == "api"
    assert _seen_by_view(rf.get("/apiary/")).channel == "web"


def test_long_user_agent_is_shortened(rf: RequestFactory) -> None:
    request = rf.get("/", HTTP_USER_AGENT="A" * 1000 + "\n" + "B")
    assert _seen_by_view(request).user_agent == "A" * 255


def test_forwarded_for_is_ignored_unless_trusted(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20")
    assert not getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False)
    assert _seen_by_view(request).ip == "10.0.0.5"
    with override_settings(AUDIT_TRUST_X_FORWARDED_FOR=True):
        # The entry our own proxy appended (the last), not the client-supplied first one.
        assert _seen_by_view(request).ip == "198.51.100.20"
        garbage = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
        assert _seen_by_view(garbage).ip == "10.0.0.5"


@pytest.mark.django_db
def test_events_recorded_during_the_request_carry_its_context(rf: RequestFactory) -> None:
    recorded = []

    def view(request: HttpRequest) -> HttpResponse:
        recorded.append(record_event(actor=None, action="x.in_view"))
        return HttpResponse("ok")

    request = rf.get("/api/ping", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="curl/8")
    AuditContextMiddleware(view)(request)
    assert (recorded[0].ip, recorded[0].user_agent, recorded[0].channel) == (
        "192.0.2.10",
        "curl/8",
        "api",
    )


def test_async_requests_get_the_context_too(rf: RequestFactory) -> None:
    seen: list[AuditContext] = []

    async def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_context())
        return HttpResponse("ok")

    middleware: Callable = AuditContextMiddleware(view)
    request = rf.get("/api/x", REMOTE_ADDR="192.0.2.99")
    response = asyncio.run(middleware(request))
    assert response.status_code == 200
    assert (seen[0].ip, seen[0].channel) == ("192.0.2.99", "api")
