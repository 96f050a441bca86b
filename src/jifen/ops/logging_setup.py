"""Structured logs (日志): JSON lines in ``LOG_DIR`` and a readable console.

Three files, each line one JSON object (see docs/operations.md, "Log files"):

* ``access.log`` — one line per request (django-structlog's ``request_finished`` /
  ``request_failed``): ``timestamp`` (ISO 8601 with offset), ``level``, ``event``,
  ``request_id``, ``user_id`` (null when anonymous), ``ip``, ``method``, ``path`` (never the
  query string), ``status`` (int), ``duration_ms``;
* ``error.log`` — every warning and error of the application, with tracebacks;
* ``login.log`` — ``login_succeeded``, ``login_failed``, ``locked_out``, ``logout`` with
  ``user_id`` (may be null) and ``ip`` only: never a name as typed, never an identity number.

Files are opened with ``WatchedFileHandler`` so that every process (server workers, the task
worker, the scheduler) may write to them; the ``rotate_logs`` job renames them daily and
deletes the old ones after the retention parameters (:func:`rotate_logs`).

This module is imported by the settings: it must not import models.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

ACCESS_EVENTS = frozenset({"request_finished", "request_failed"})
LOG_FILES = ("access.log", "error.log", "login.log")
LOGIN_LOGGER = "jifen.login"


class LogFileHandler(logging.handlers.WatchedFileHandler):
    """A WatchedFileHandler that creates its folder when it first writes (nothing is created
    at start-up, so a process that never logs leaves no trace)."""

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


class _Timestamp:
    """``timestamp``: local time (settings.TIME_ZONE) in ISO 8601 with its offset."""

    def __init__(self, tz: str) -> None:
        self.tz = ZoneInfo(tz)

    def __call__(self, logger: Any, name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("timestamp", datetime.now(self.tz).isoformat(timespec="milliseconds"))
        return event_dict


def _drop_exception(logger: Any, name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Access lines carry no traceback (error.log has it, from django.request)."""
    event_dict.pop("exc_info", None)
    event_dict.pop("exception", None)
    return event_dict


def _drop_logger_noise(logger: Any, name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    event_dict.pop("logger", None)
    return event_dict


_FIRST = ("timestamp", "level", "event", "request_id", "user_id", "ip", "method", "path")


def _ordered(logger: Any, name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The fixed keys first, in one order, for people reading the files."""
    first = {key: event_dict.pop(key) for key in _FIRST if key in event_dict}
    return {**first, **event_dict}


class AccessFilter(logging.Filter):
    """Only the one line per request (not django-structlog's ``request_started``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        return isinstance(msg, dict) and msg.get("event") in ACCESS_EVENTS


def _shared(tz: str) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _Timestamp(tz),
    ]


def _json_formatter(tz: str, *extra: Any) -> dict[str, Any]:
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [*_shared(tz), structlog.stdlib.ExtraAdder(allow=[])],
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *extra,
            structlog.processors.format_exc_info,
            _ordered,
            structlog.processors.JSONRenderer(ensure_ascii=False, default=str),
        ],
    }


def logging_config(log_dir: Path, *, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """The ``LOGGING`` setting: the three JSON-line files in ``log_dir`` and the console.

    Also configures structlog (once per process) to hand its events to the stdlib handlers.
    """
    configure_structlog(tz)

    def file_handler(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "()": LogFileHandler,
            "filename": str(log_dir / name),
            "encoding": "utf-8",
            "delay": True,
            **extra,
        }

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"access_only": {"()": AccessFilter}},
        "formatters": {
            "json": _json_formatter(tz),
            "json_access": _json_formatter(tz, _drop_exception, _drop_logger_noise),
            "console": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared(tz),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # Plain tracebacks: rich's (the default when rich is installed) print every
                    # frame's local variables — personal data among them — and took seconds of
                    # CPU per failed request while PostgreSQL was away (docs/faults.md).
                    structlog.dev.ConsoleRenderer(
                        colors=False, exception_formatter=structlog.dev.plain_traceback
                    ),
                ],
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "console"},
            "access_file": file_handler(
                "access.log", formatter="json_access", filters=["access_only"]
            ),
            "error_file": file_handler("error.log", formatter="json", level="WARNING"),
            "login_file": file_handler("login.log", formatter="json_access"),
        },
        "root": {"handlers": ["console", "error_file"], "level": "WARNING"},
        "loggers": {
            # Replaces Django's default "django" handlers (no mail to admins), printed once.
            "django": {"handlers": ["console", "error_file"], "level": "INFO", "propagate": False},
            "jifen": {"handlers": ["console", "error_file"], "level": "INFO", "propagate": False},
            # runserver's own request lines hold the query string: the console only.
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # The access lines (django-structlog's request middleware).
            "django_structlog": {
                "handlers": ["access_file"],
                "level": "INFO",
                "propagate": False,
            },
            LOGIN_LOGGER: {"handlers": ["login_file"], "level": "INFO", "propagate": False},
        },
    }


_configured = False


def configure_structlog(tz: str = "Asia/Shanghai") -> None:
    global _configured
    if _configured:
        return
    structlog.configure(
        processors=[
            *_shared(tz),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


# --- rotation and retention ------------------------------------------------------------------


def rotate_logs(
    log_dir: Path, *, keep_days: int, login_keep_days: int, now: float | None = None
) -> dict[str, int]:
    """Rename each non-empty log to ``<name>.<YYYY-MM-DD>`` (the day it covered; the writers,
    watching the file, reopen a new one) and delete rotated files older than the retention:
    ``login_keep_days`` for login.log (security events), ``keep_days`` for the others.
    Returns how many files were rotated and deleted."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y-%m-%d", time.localtime(now - 60))
    rotated = deleted = 0
    for name in LOG_FILES:
        current = log_dir / name
        if current.exists() and current.stat().st_size > 0:
            target = log_dir / f"{name}.{stamp}"
            if target.exists():  # rotated twice in one day: keep both
                target = log_dir / f"{name}.{stamp}.{int(now)}"
            current.rename(target)
            rotated += 1
        keep = login_keep_days if name == "login.log" else keep_days
        for old in log_dir.glob(f"{name}.*"):
            if now - old.stat().st_mtime > keep * 86400:
                old.unlink(missing_ok=True)
                deleted += 1
    return {"rotated": rotated, "deleted": deleted}
