"""Hooks for django-axes, the login lock-out (settings: AXES_* and LOGIN_THROTTLE in
jifen.settings.base; the policy itself is described in :mod:`jifen.accounts.throttle`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jifen.audit.middleware import API_PREFIX, client_ip

from .throttle import PAIR, Refusal, request_refusal

LOCKED_OUT_CODE = "locked_out"


def client_ip_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address the audit log records (None when there is none;
    axes stores it in a nullable IP-address column)."""
    return client_ip(request) or None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a refused login attempt, HTTP 429 with a
    Retry-After header saying how long to wait — the API's JSON error under /api/, the
    lock-out page elsewhere."""
    refusal = request_refusal(request, credentials) or Refusal(
        PAIR, int(settings.AXES_COOLOFF_TIME.total_seconds())
    )
    status = settings.AXES_HTTP_RESPONSE_CODE
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"code": LOCKED_OUT_CODE, "message": refusal.message, "errors": []}, status=status
        )
    else:
        context = {"message": refusal.message, "refusal": refusal}
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
    response["Retry-After"] = str(refusal.retry_after)
    return response
