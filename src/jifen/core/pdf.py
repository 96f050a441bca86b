"""Chinese PDFs from HTML (WeasyPrint, with Debian's Noto CJK fonts found by fontconfig).

Every PDF the system makes — the published list, the incident and inspection reports, the
operations reports — goes through here, because importing WeasyPrint has a side effect on the
whole process: it sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True``, which would let
truncated evidence images through the upload checks (``applications.evidence_checks``) in a
process that once made a PDF. :func:`weasyprint_html` imports it and puts the flag back.
"""

from __future__ import annotations

from typing import Any

from .watermark import Watermark, html_with_mark


def weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, imported without its side effect on Pillow."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def html_to_pdf(html: str, *, watermark: Watermark | None = None) -> bytes:
    """The PDF of a whole HTML document (its styles inline); with ``watermark`` (an export of
    personal data) its line is at the top of every page (jifen.core.watermark)."""
    return weasyprint_html()(string=html_with_mark(html, watermark)).write_pdf()
