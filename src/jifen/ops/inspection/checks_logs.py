"""The application's logs of the day (应用日志): the access log's requests, 4xx/5xx and slow
requests; from the audit chain the logins, login failures, lock-outs and logins at unusual
hours.

The access log is JSON lines (``var/log/access.log``; keys ``timestamp``, ``level``,
``event``, ``request_id``, ``user_id``, ``ip``, ``method``, ``path``, ``status``,
``duration_ms``), rotated as ``access.log.*`` (plain or ``.gz``): every file that may hold a
line of the period is read, and only the period's lines counted. A missing log is a warning
finding, never a crash.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.ops import parameters

from .findings import NORMAL, WARNING, Finding, make

GROUP = "应用日志"


def log_dir() -> Path:
    return Path(getattr(settings, "LOG_DIR", Path(settings.VAR_DIR) / "log"))


@dataclass
class LogStats:
    found: bool = True  # False: no access log at all
    files: list[str] = field(default_factory=list)
    requests: int = 0
    status_4xx: int = 0
    status_5xx: int = 0
    slow: int = 0
    failed: int = 0  # "request_failed" events (exceptions)
    unreadable_lines: int = 0
    slowest_ms: float = 0.0


@dataclass(frozen=True)
class LoginStats:
    logins: int = 0
    failures: int = 0
    lockouts: int = 0
    unusual_hours: int = 0  # logins at unusual hours (inspect_unusual_login_*_hour)


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def access_log_files(folder: Path, start: datetime) -> list[Path]:
    """``access.log`` and the rotated ``access.log.*`` last written at or after ``start``
    (a rotated file written before the period began holds none of its lines), oldest first."""
    files = [p for p in folder.glob("access.log*") if p.is_file()]
    keep = [p for p in files if p.stat().st_mtime >= start.timestamp()]
    return sorted(keep, key=lambda p: p.stat().st_mtime)


def _lines(paths: list[Path]) -> Iterator[str]:
    for path in paths:
        with _open(path) as fh:
            yield from fh


def read_access_log(
    start: datetime, end: datetime, *, folder: Path | None = None, slow_ms: float | None = None
) -> LogStats:
    """Count the requests of ``[start, end)`` in the access log files of ``folder``."""
    folder = folder or log_dir()
    slow_ms = float(parameters.get("inspect_slow_request_ms") if slow_ms is None else slow_ms)
    if not (folder / "access.log").exists() and not any(folder.glob("access.log.*")):
        return LogStats(found=False)
    paths = access_log_files(folder, start)
    stats = LogStats(files=[p.name for p in paths])
    for line in _lines(paths):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            at = datetime.fromisoformat(str(row["timestamp"]).replace("Z", "+00:00"))
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        except (ValueError, KeyError, TypeError):
            stats.unreadable_lines += 1
            continue
        if not (start <= at < end):
            continue
        event = row.get("event")
        if event not in ("request_finished", "request_failed"):
            continue
        stats.requests += 1
        if event == "request_failed":
            stats.failed += 1
        try:
            status = int(row.get("status") or (500 if event == "request_failed" else 0))
            duration = float(row.get("duration_ms") or 0)
        except (TypeError, ValueError):
            stats.unreadable_lines += 1
            continue
        if 400 <= status < 500:
            stats.status_4xx += 1
        elif status >= 500:
            stats.status_5xx += 1
        if duration > slow_ms:
            stats.slow += 1
        stats.slowest_ms = max(stats.slowest_ms, duration)
    return stats


def read_logins(start: datetime, end: datetime) -> LoginStats:
    """Logins, failures and lock-outs of ``[start, end)`` from the audit chain."""
    events = AuditEvent.objects.filter(
        at__gte=start,
        at__lt=end,
        action__in=("account.login", "account.login_failed", "account.locked_out"),
    ).values_list("action", "at")
    first = int(parameters.get("inspect_unusual_login_start_hour"))
    last = int(parameters.get("inspect_unusual_login_end_hour"))
    counts = {"account.login": 0, "account.login_failed": 0, "account.locked_out": 0}
    unusual = 0
    for action, at in events:
        counts[action] += 1
        if action == "account.login" and first <= timezone.localtime(at).hour < last:
            unusual += 1
    return LoginStats(
        logins=counts["account.login"],
        failures=counts["account.login_failed"],
        lockouts=counts["account.locked_out"],
        unusual_hours=unusual,
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def check_logs(stats: LogStats, logins: LoginStats) -> list[Finding]:
    p = parameters.get
    found: list[Finding] = []
    if not stats.found:
        found.append(
            Finding(
                GROUP,
                "access_log",
                "访问日志",
                "未找到",
                "日志文件应存在",
                WARNING,
                note=f"{log_dir() / 'access.log'} 不存在，无法统计请求",
            )
        )
    else:
        note = f"读取 {', '.join(stats.files) or '（无本时段文件）'}"
        if stats.unreadable_lines:
            note += f"；{stats.unreadable_lines} 行无法解析"
        found += [
            Finding(
                GROUP, "requests", "请求数", stats.requests, "仅统计", NORMAL, unit=" 次", note=note
            ),
            make(
                GROUP,
                "status_4xx",
                "4xx 响应占比",
                _percent(stats.status_4xx, stats.requests),
                unit="%",
                warn=p("inspect_4xx_percent_warn"),
                note=f"{stats.status_4xx} 次",
            ),
            make(
                GROUP,
                "status_5xx",
                "5xx 响应占比",
                _percent(stats.status_5xx, stats.requests),
                unit="%",
                warn=p("inspect_5xx_percent_warn"),
                critical=p("inspect_5xx_percent_critical"),
                note=f"{stats.status_5xx} 次，其中程序异常 {stats.failed} 次",
            ),
            make(
                GROUP,
                "slow_requests",
                "慢请求占比",
                _percent(stats.slow, stats.requests),
                unit="%",
                warn=p("inspect_slow_percent_warn"),
                note=f"超过 {p('inspect_slow_request_ms')} 毫秒的请求 {stats.slow} 次，"
                f"最慢 {stats.slowest_ms:.0f} 毫秒",
            ),
        ]
    first = p("inspect_unusual_login_start_hour")
    last = p("inspect_unusual_login_end_hour")
    found += [
        make(
            GROUP,
            "login_failures",
            "登录失败次数",
            logins.failures,
            unit=" 次",
            warn=p("inspect_login_failures_warn"),
            critical=p("inspect_login_failures_critical"),
            note=f"成功登录 {logins.logins} 次",
        ),
        make(
            GROUP,
            "lockouts",
            "账户锁定次数",
            logins.lockouts,
            unit=" 次",
            warn=p("inspect_lockouts_warn"),
        ),
        make(
            GROUP,
            "unusual_logins",
            f"非常规时段（{first}:00–{last}:00）登录次数",
            logins.unusual_hours,
            unit=" 次",
            warn=p("inspect_unusual_logins_warn"),
        ),
    ]
    return found
