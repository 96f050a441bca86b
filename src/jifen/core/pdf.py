"""Chinese PDFs from HTML (WeasyPrint, with Debian's Noto CJK fonts found by fontconfig).

Every PDF the system makes — the published list, the incident and inspection reports, the
operations reports — goes through here, because importing WeasyPrint has a side effect on the
whole process: it sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True``, which would let
truncated evidence images through the upload checks (``applications.evidence_checks``) in a
process that once made a PDF. :func:`weasyprint_html` imports it and puts the flag back.
"""

from __future__ import annotations

from typing import Any


def weasyprint_html() -> Any:
    """WeasyPrint's ``HTML`` class, imported without its side effect on Pillow."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def html_to_pdf(html: str) -> bytes:
    """The PDF of a whole HTML document (its styles inline)."""
    return weasyprint_html()(string=html).write_pdf()
