"""Exports of personal data on the record: who exported what, when, how many rows.

Every file of personal data the system hands out (or makes to be handed out) is logged here,
with the watermark it carries (:mod:`jifen.core.watermark`), as an event
``personal_data.export`` in the audit chain. Call it inside the export's transaction when
there is one; the rows and format are counts and names, never the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from jifen.core import watermark as watermarks
from jifen.core.watermark import Watermark

from .models import AuditEvent
from .services import record_event

EXPORT_ACTION = "personal_data.export"


def record_export(
    *,
    actor: Any,
    what: str,
    fmt: str,
    rows: int,
    watermark: Watermark,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    detail: str = "",
) -> AuditEvent:
    """Log one export: ``what`` (a stable key such as ``publication.list``), ``fmt``
    (csv/xlsx/pdf/zip), ``rows`` (the people or lines it holds). The exporter is the
    event's actor (its name as the watermark shows it is not copied: no names in the log)."""
    return record_event(
        actor=actor,
        action=EXPORT_ACTION,
        target=target,
        target_type=target_type or (target._meta.label_lower if target is not None else what),
        target_id=target_id,
        after={
            "what": what,
            "format": fmt,
            "rows": rows,
            "exported_at": watermark.at,
        },
        detail=detail,
    )


def watermarked_export(
    *,
    actor: Any,
    what: str,
    fmt: str,
    rows: int,
    build: Callable[[Watermark], bytes],
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
) -> bytes:
    """A file built by ``build`` with the watermark of ``actor`` now, and its export logged
    (:func:`record_export`): the one path of the exports made on request."""
    mark = watermarks.for_actor(actor)
    content = build(mark)
    record_export(
        actor=actor, what=what, fmt=fmt, rows=rows, watermark=mark, target=target,
        target_type=target_type, target_id=target_id,
    )
    return content
