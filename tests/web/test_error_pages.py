"""The answer to an unexpected failure (jifen.web.errors, ``handler500``): the Chinese page or
the API's JSON error, 503 while the database cannot be reached, never a trace. The real outage
is provoked in tests/serving/test_faults_postgres_restart.py."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import DatabaseError, IntegrityError, OperationalError
from django.http import HttpResponse
from django.test import Client, RequestFactory

from jifen.web.errors import bad_request, server_error


def _answer(path: str, error: Exception) -> HttpResponse:
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        return server_error(request)


def test_database_unreachable_on_a_page_is_503_in_chinese() -> None:
    response = _answer("/my/", OperationalError("connection to server failed: secret-host"))
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert '<h1 class="page-title">系统暂时无法访问</h1>' in body
    assert "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。" in body
    assert "secret-host" not in body and "OperationalError" not in body


def test_database_unreachable_in_the_api_is_a_json_error() -> None:
    response = _answer("/api/me", OperationalError("connection refused"))
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "code": "unavailable",
        "message": "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。",
        "errors": [],
    }


def test_any_other_failure_is_500_in_chinese() -> None:
    page = _answer("/", RuntimeError("boom"))
    assert page.status_code == 500 and "Retry-After" not in page
    assert "系统处理您的请求时出错，请求没有办理，请稍后再试。" in page.content.decode()
    api = _answer("/api/me", RuntimeError("boom"))
    assert api.status_code == 500
    assert json.loads(api.content)["code"] == "server_error"


@pytest.mark.django_db
def test_django_answers_an_unhandled_error_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import jifen.urls  # noqa: F401  - every view imported before the patch, none keeps it
    from jifen.ops import health_checks

    def explode() -> None:
        raise OperationalError("the server closed the connection unexpectedly")

    monkeypatch.setattr(health_checks, "run_checks", explode)
    response = Client(raise_request_exception=False).get("/healthz/ready")
    assert response.status_code == 503
    assert "系统暂时无法访问" in response.content.decode()
    assert "closed the connection" not in response.content.decode()


def test_a_programming_error_of_the_database_is_not_an_outage() -> None:
    assert _answer("/my/", IntegrityError("duplicate key")).status_code == 500


def _interrupted(cause: Exception) -> SessionInterrupted:
    """What SessionMiddleware raises when the session's save fails (its chain as Django's)."""
    try:
        try:
            try:
                raise cause
            except DatabaseError:
                raise UpdateError from None
        except UpdateError:
            raise SessionInterrupted("The request's session was deleted") from None
    except SessionInterrupted as exc:
        return exc


def test_a_session_lost_with_the_database_is_503_not_400() -> None:
    request = RequestFactory().get("/my/")
    # from None hides the cause from tracebacks but keeps __context__ (what Django does too).
    lost = bad_request(request, _interrupted(OperationalError("server closed the connection")))
    assert lost.status_code == 503
    assert "系统暂时无法访问数据库" in lost.content.decode()
    # Deleted by a logout in another tab: a plain bad request, in Chinese.
    deleted = DatabaseError("Forced update did not affect any rows.")
    gone = bad_request(request, _interrupted(deleted))
    assert gone.status_code == 400
    assert "请求无效或登录状态已失效，请刷新页面或重新登录后再试。" in gone.content.decode()
