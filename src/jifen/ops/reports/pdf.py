"""The report as a PDF (A4, Chinese in Noto Sans CJK, the charts as inline SVG), WeasyPrint."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from . import render


def _weasyprint_html() -> Any:
    """WeasyPrint's HTML class, imported without its side effect on Pillow: importing it sets
    ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` for the whole process, which would let
    truncated evidence images through the upload checks (as in jifen.publication.exports)."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def to_pdf(data: dict[str, Any], *, generated_at: str) -> bytes:
    """The PDF of ``data`` (:func:`jifen.ops.reports.collect.collect`'s dict)."""
    html_class = _weasyprint_html()
    html = render_to_string(
        "ops/reports/report_pdf.html",
        {"data": data, "sections": render.sections(data), "generated_at": generated_at},
    )
    return html_class(string=html).write_pdf()
