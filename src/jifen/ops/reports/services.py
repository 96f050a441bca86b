"""Generating an operations report: figures collected, the file made, its record kept
(:class:`jifen.ops.models.OpsReport`: who, when, which period, the checksum) and the audit
event written, in one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core import watermark
from jifen.core.errors import ServiceError
from jifen.core.watermark import Watermark
from jifen.ops.models import OpsReport

from . import pdf, xlsx
from .collect import collect
from .period import BEIJING, Period, last_complete

REPORT_GENERATE_ACTION = "ops.report_generate"
REPORT_DOWNLOAD_ACTION = "ops.report_download"
FORMATS = ("pdf", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Generated:
    record: OpsReport
    content: bytes
    filename: str  # the Chinese download name


def report_dir() -> Path:
    """Where the command and the schedule write their files (``OPS_REPORT_DIR``)."""
    return Path(getattr(settings, "OPS_REPORT_DIR", Path(settings.VAR_DIR) / "ops-reports"))


def render_file(
    data: dict[str, Any], fmt: str, *, generated_at: datetime, mark: Watermark | None = None
) -> bytes:
    stamp = generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if fmt == "pdf":
        return pdf.to_pdf(data, generated_at=stamp, watermark=mark)
    if fmt == "xlsx":
        return xlsx.to_xlsx(data, generated_at=stamp, watermark=mark)
    raise ServiceError("报告格式应为 PDF 或 XLSX。", field="format")


def generate_report(
    *,
    period: Period,
    fmt: str,
    actor: Any,
    via: str,
    out: Path | None = None,
    now: datetime | None = None,
) -> Generated:
    """Make the report of ``period`` as ``fmt`` (pdf|xlsx) and record it.

    ``via`` is ``console`` (a download: audited as ``ops.report_download``), ``command`` or
    ``schedule`` (``ops.report_generate``). With ``out`` the file is also written there
    (its folder created)."""
    if fmt not in FORMATS:
        raise ServiceError("报告格式应为 PDF 或 XLSX。", field="format")
    now = now or timezone.now()
    data = collect(period, now=now)
    # Staff names appear in the records (changes, visits): the file names who made it, when.
    content = render_file(data, fmt, generated_at=now, mark=watermark.for_actor(actor, at=now))
    digest = hashlib.sha256(content).hexdigest()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
    with transaction.atomic():
        record = OpsReport.objects.create(
            kind=period.kind,
            period=period.label,
            format=fmt,
            generated_at=now,
            generated_by=actor,
            via=via,
            bytes=len(content),
            sha256=digest,
            path=str(out) if out is not None else "",
        )
        record_event(
            actor=actor,
            action=REPORT_DOWNLOAD_ACTION if via == "console" else REPORT_GENERATE_ACTION,
            target=record,
            after={"kind": period.kind, "period": period.label, "format": fmt, "sha256": digest},
        )
    return Generated(record=record, content=content, filename=f"{period.title}.{fmt}")


def scheduled_report(kind: str) -> str:
    """The scheduled job: the last complete month's (or quarter's) report as PDF, written to
    :func:`report_dir`; returns the summary line."""
    period = last_complete(kind, timezone.now())
    out = report_dir() / f"ops-report-{period.label}.pdf"
    made = generate_report(period=period, fmt="pdf", actor=None, via="schedule", out=out)
    return f"{period.title}：{out}（{made.record.bytes} 字节，sha256 {made.record.sha256[:12]}…）"


def monthly_inspection_report() -> str:
    return scheduled_report("month")


def quarterly_report() -> str:
    return scheduled_report("quarter")
