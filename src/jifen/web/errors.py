"""The answer to an unexpected failure (``handler500``): the Chinese error page, or the API's
JSON error under /api/, never a trace. A database that cannot be reached (PostgreSQL
restarting, the pool timed out) is 503 — the request may be tried again — anything else 500."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from jifen.audit.middleware import API_PREFIX

UNAVAILABLE = ("系统暂时无法访问", "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。")
FAILED = ("系统内部错误", "系统处理您的请求时出错，请求没有办理，请稍后再试。")
RETRY_AFTER_SECONDS = "30"


def server_error(request: HttpRequest) -> HttpResponse:
    # Called by Django inside its exception handler: the exception is the one being handled.
    unavailable = isinstance(sys.exc_info()[1], DatabaseError)
    title, message = UNAVAILABLE if unavailable else FAILED
    status = 503 if unavailable else 500
    if request.path_info.startswith(API_PREFIX):
        code = "unavailable" if unavailable else "server_error"
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "errors": []}, status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        body = loader.get_template("500.html").render({"title": title, "message": message})
        response = HttpResponse(body, status=status)
    if unavailable:
        response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
