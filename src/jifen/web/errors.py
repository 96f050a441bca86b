"""The answers to unexpected failures (``handler500``, ``handler400``): the Chinese error page,
or the API's JSON error under /api/, never a trace. A database that cannot be reached
(PostgreSQL restarting, the pool timed out, a connection cut) is 503 — the request may be tried
again — anything else 500 (or 400 for a request Django refused as bad)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from jifen.audit.middleware import API_PREFIX

UNAVAILABLE = ("系统暂时无法访问", "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。")
FAILED = ("系统内部错误", "系统处理您的请求时出错，请求没有办理，请稍后再试。")
BAD_REQUEST = ("请求无效", "请求无效或登录状态已失效，请刷新页面或重新登录后再试。")
RETRY_AFTER_SECONDS = "30"
# Connection failures: the database is away. A plain DatabaseError (a bug, a constraint) is not.
_UNREACHABLE = (OperationalError, InterfaceError)


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` or an exception it arose from is a connection failure (Django raises
    SessionInterrupted from the session's failed save, for instance)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _UNREACHABLE):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _answer(request: HttpRequest, status: int, code: str, text: tuple[str, str]) -> HttpResponse:
    title, message = text
    if request.path_info.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"code": code, "message": message, "errors": []}, status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        body = loader.get_template("500.html").render({"title": title, "message": message})
        response = HttpResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Called by Django inside its exception handler: the exception is the one being handled.
    if database_unreachable(sys.exc_info()[1]):
        return _answer(request, 503, "unavailable", UNAVAILABLE)
    return _answer(request, 500, "server_error", FAILED)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if database_unreachable(exception):
        return _answer(request, 503, "unavailable", UNAVAILABLE)
    return _answer(request, 400, "bad_request", BAD_REQUEST)
