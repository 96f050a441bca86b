"""The incident report (故障处理报告): a PDF in Chinese, made when the ticket is closed, with
every field of the ticket, its timeline and its times against the SLA; a major incident adds
the special report (重大故障专项报告): triggers, impact, the emergency plan's start.

WeasyPrint with Debian's Noto CJK fonts, imported as :mod:`jifen.publication.exports` does
(without its side effect on Pillow).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from jifen.audit.exports import watermarked_export
from jifen.core.errors import Conflict
from jifen.core.pdf import html_to_pdf

from . import incidents
from .models import Incident


def report_context(incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident,
        "title": f"故障处理报告（{incident.number}）",
        "events": list(incident.events.select_related("actor").order_by("at", "id")),
        "sla": incidents.sla(incident),
        "impact": incidents.impact_text(incident),
        "major": incident.severity == Incident.Severity.MAJOR,
        "handler": incidents._person(incident.handler) if incident.handler else "—",
        "generated": timezone.now(),
    }


def incident_report_pdf(incident: Incident, *, actor: Any = None) -> bytes:
    """The report of a closed ticket as PDF bytes; Conflict before it is closed. It names the
    people who handled (and reported) the incident: watermarked with ``actor`` and now, and
    the export logged."""
    if incident.status != Incident.Status.CLOSED:
        raise Conflict(f"故障单 {incident.number} 关闭后才能出具故障处理报告。")
    context = report_context(incident)
    html = render_to_string("ops/incident_report_pdf.html", context)
    return watermarked_export(
        actor=actor,
        what="ops.incident_report",
        fmt="pdf",
        rows=len(context["events"]),
        build=lambda mark: html_to_pdf(html, watermark=mark),
        target=incident,
    )


def filename(incident: Incident) -> str:
    return f"incident-report-{incident.number}.pdf"
