"""Real small files for evidence tests, built here: valid PDFs, PNGs and JPEGs, and the crafted
bad ones (active PDF content, broken images, polyglots)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pikepdf
from PIL import Image


def pdf(build: Callable[[pikepdf.Pdf], None] | None = None, *, object_streams: bool = False,
        encrypt: pikepdf.Encryption | None = None) -> bytes:
    """A one-page PDF; ``build`` may add to it before it is written."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    if build is not None:
        build(document)
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else (
        pikepdf.ObjectStreamMode.disable)
    document.save(out, object_stream_mode=mode, compress_streams=True,
                  encryption=encrypt or False)
    return out.getvalue()


def png(size: tuple[int, int] = (2, 2), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG", quality=80)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


PDF = pdf()
PNG = png()
JPEG = jpeg()
