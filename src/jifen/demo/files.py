"""Small valid evidence files made in code for the demo's declarations (no real documents)."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image, ImageDraw


def demo_pdf(label: str) -> bytes:
    """A one-page A4 PDF saying it is a synthetic demo document (``label`` is ASCII)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    text = label.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    page.Contents = pdf.make_stream(
        b"BT /F1 18 Tf 72 760 Td (Jifen demo evidence - synthetic) Tj 0 -28 Td ("
        + text + b") Tj ET"
    )
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()


def demo_png(label: str) -> bytes:
    """A small PNG "scan" with ``label`` (ASCII) on it."""
    image = Image.new("RGB", (320, 200), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 311, 191), outline=(180, 30, 30), width=3)
    draw.text((24, 24), "Jifen demo evidence (synthetic)", fill=(30, 30, 30))
    draw.text((24, 60), label, fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
