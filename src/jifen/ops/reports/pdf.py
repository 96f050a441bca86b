"""The report as a PDF (A4, Chinese in Noto Sans CJK, the charts as inline SVG), WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from jifen.core.pdf import html_to_pdf
from jifen.core.watermark import Watermark

from . import render


def to_pdf(
    data: dict[str, Any], *, generated_at: str, watermark: Watermark | None = None
) -> bytes:
    """The PDF of ``data`` (:func:`jifen.ops.reports.collect.collect`'s dict)."""
    html = render_to_string(
        "ops/reports/report_pdf.html",
        {"data": data, "sections": render.sections(data), "generated_at": generated_at},
    )
    return html_to_pdf(html, watermark=watermark)
