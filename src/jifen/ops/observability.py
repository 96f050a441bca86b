"""What the access and login logs say (receivers connected in :class:`jifen.ops.apps.OpsConfig`).

* django-structlog's request middleware writes ``request_finished`` / ``request_failed``; the
  receivers here give those lines their fixed keys: ``method``, ``path`` (``request.path``: the
  query string, where a careless link might put a name or an identity number, is left out),
  ``status`` and ``duration_ms``, and bind the client address the audit log uses
  (:func:`jifen.audit.middleware.client_ip`: X-Forwarded-For only from our own proxy).
* The login log follows the audit log: each ``account.login``, ``account.login_failed``,
  ``account.locked_out`` and ``account.logout`` event (whoever wrote it: the login page, the API,
  django-axes' lock-out or the login throttle) becomes one line with the account's id and the
  address, nothing else.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

from jifen.audit.middleware import client_ip

from .logging_setup import LOGIN_LOGGER

LOGIN_EVENTS = {
    "account.login": "login_succeeded",
    "account.login_failed": "login_failed",
    "account.locked_out": "locked_out",
    "account.logout": "logout",
}
USER_TARGET = "accounts.user"

login_logger = structlog.get_logger(LOGIN_LOGGER)


def _elapsed_ms(request: HttpRequest) -> float:
    started = getattr(request, "_jifen_started", None)
    if started is None:
        return 0.0
    return round((time.perf_counter() - started) * 1000, 1)


def request_started(
    sender: Any, request: HttpRequest, log_kwargs: dict[str, Any], **kw: Any
) -> None:
    request._jifen_started = time.perf_counter()  # type: ignore[attr-defined]
    structlog.contextvars.bind_contextvars(ip=client_ip(request) or None)
    # request_started is not written (access.log has one line per request); keep it short.
    log_kwargs.pop("request", None)
    log_kwargs.pop("user_agent", None)


def _access_fields(request: HttpRequest, status: int) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "status": int(status),
        "duration_ms": _elapsed_ms(request),
    }


def request_finished(
    sender: Any,
    request: HttpRequest,
    response: HttpResponse,
    log_kwargs: dict[str, Any],
    **kw: Any,
) -> None:
    log_kwargs.clear()
    log_kwargs.update(_access_fields(request, response.status_code))


def request_failed(
    sender: Any, request: HttpRequest, exception: Exception, log_kwargs: dict[str, Any], **kw: Any
) -> None:
    log_kwargs.clear()
    log_kwargs.update(_access_fields(request, 500))


def login_line(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of an audit event: one login-log line for the sign-in events."""
    event = LOGIN_EVENTS.get(instance.action) if created else None
    if event is None:
        return
    if instance.actor_id is not None:
        user_id: Any = instance.actor_id
    elif instance.target_type == USER_TARGET and instance.target_id:
        user_id = int(instance.target_id) if instance.target_id.isdigit() else instance.target_id
    else:
        user_id = None
    login_logger.info(event, user_id=user_id, ip=instance.ip or None)


def connect() -> None:
    from django.db.models.signals import post_save
    from django_structlog import signals

    from jifen.audit.models import AuditEvent

    signals.bind_extra_request_metadata.connect(
        request_started, dispatch_uid="jifen.ops.request_started"
    )
    signals.bind_extra_request_finished_metadata.connect(
        request_finished, dispatch_uid="jifen.ops.request_finished"
    )
    signals.bind_extra_request_failed_metadata.connect(
        request_failed, dispatch_uid="jifen.ops.request_failed"
    )
    post_save.connect(login_line, sender=AuditEvent, dispatch_uid="jifen.ops.login_line")
