"""Hooks for django-axes, the login lock-out (settings: AXES_* in jifen.settings.base).

Five failed logins for one username within 30 minutes lock that account for 30 minutes,
whatever the client's address. ``manage.py axes_reset_username <username>`` unlocks it early.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jifen.audit.middleware import API_PREFIX, client_ip

LOCKED_OUT_CODE = "locked_out"


def cooloff_minutes() -> int:
    """The length of a lock-out in minutes (AXES_COOLOFF_TIME is a timedelta)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out_message() -> str:
    return f"登录失败次数过多，账户已临时锁定{cooloff_minutes()}分钟，请稍后再试或联系管理员"


def client_ip_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the audit log records (None when there is none;
    axes stores it in a nullable IP-address column)."""
    return client_ip(request) or None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a locked-out login attempt, HTTP 429 with a
    Retry-After header — the API's JSON error under /api/, the lock-out page elsewhere."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    message = locked_out_message()
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"code": LOCKED_OUT_CODE, "message": message, "errors": []}, status=status
        )
    else:
        context = {
            "message": message,
            "cooloff_minutes": cooloff_minutes(),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        }
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
