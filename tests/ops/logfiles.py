"""Access-log files as the application writes them (JSON lines, one request a line), for the
inspection's log checks: ``access.log`` plus rotated ``access.log.N`` files."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any


def request_line(
    at: datetime,
    *,
    status: int = 200,
    duration_ms: float = 50.0,
    path: str = "/staff/",
    event: str = "request_finished",
) -> dict[str, Any]:
    return {
        "timestamp": at.isoformat(),
        "level": "error" if event == "request_failed" else "info",
        "event": event,
        "request_id": f"req-{at.timestamp():.0f}-{status}-{duration_ms:.0f}",
        "user_id": 7,
        "ip": "127.0.0.1",
        "method": "GET",
        "path": path,
        "status": status,
        "duration_ms": duration_ms,
    }


def write_log(path: Path, rows: list[dict[str, Any]], *, mtime: datetime | None = None) -> Path:
    """Write ``rows`` as JSON lines to ``path``; ``mtime``: when the file was last written
    (a rotated file keeps the time of its last line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path
