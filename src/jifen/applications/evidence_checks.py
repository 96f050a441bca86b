"""What an uploaded evidence file really is, checked before it is stored.

A file's extension and first bytes must agree (PDF, PNG or JPEG); then the file is read as what
it claims to be. Images are decoded whole with Pillow (its size bounded first, against
decompression bombs). PDFs are parsed with pikepdf (qpdf: it reads cross-reference and object
streams like a viewer does, so objects hidden in compressed object streams are seen too) and
refused when encrypted or when any object carries JavaScript, a launch action or an embedded
file. A file that is also something else (a polyglot: bytes after the image's or the PDF's
end, a PDF inside an image, HTML at the start) is refused too. Every refusal is an
InvalidInput on the field ``file`` whose Chinese message says what was found.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

import pikepdf
from django.conf import settings
from PIL import Image, ImageFile, UnidentifiedImageError

from jifen.core.errors import InvalidInput

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"

EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
_SIGNATURES = {PDF: b"%PDF-", PNG: b"\x89PNG\r\n\x1a\n", JPEG: b"\xff\xd8\xff"}
_PIL_FORMATS = {PNG: "PNG", JPEG: "JPEG"}

# Largest image accepted, in pixels (a 600 dpi A3 scan is about 70 million).
DEFAULT_MAX_PIXELS = 80_000_000

_HTML = re.compile(rb"<\s*(html|script|body|iframe|svg)\b", re.IGNORECASE)
_TRAILING_ALLOWED = re.compile(rb"[\x00\s]*")  # padding after an image's end


def size_label(limit: int) -> str:
    """A byte count as people read it: 10485760 -> "10 MB", 1536 -> "1.5 KB"."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size:
            value = limit / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{limit} 字节"


def limits_text() -> str:
    """What may be uploaded, from the settings (the page's and the API's label)."""
    return f"可上传 PDF、JPG、PNG 文件，每个文件不超过 {size_label(settings.EVIDENCE_MAX_BYTES)}"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def sniff(head: bytes) -> str | None:
    for content_type, signature in _SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def _read_all(upload: Any) -> bytes:
    upload.seek(0)
    data = b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read()
    upload.seek(0)
    return data


def check_evidence_file(upload: Any, ext: str) -> str:
    """The content type of ``upload`` (named with extension ``ext``) once it has passed every
    check; InvalidInput naming ``file`` otherwise. The size limit is checked before."""
    expected = EXTENSIONS[ext]
    data = _read_all(upload)
    sniffed = sniff(data[:16])
    if sniffed is None or sniffed != expected:
        raise _refuse("文件内容与扩展名不符，只能上传 PDF、JPG 或 PNG 文件")
    if _HTML.search(data[:1024]):
        raise _refuse("文件开头夹带了网页代码，不能上传")
    if b"PK\x05\x06" in data[-(65536 + 22):]:
        raise _refuse("文件中夹带了压缩包，不能上传")
    if expected == PDF:
        _check_pdf(data)
    else:
        _check_image(data, expected)
    return expected


# --- images ---------------------------------------------------------------------------------


def _png_end(data: bytes) -> int:
    """The offset just after the IEND chunk (len(data) + 1 when there is none)."""
    pos = 8
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return len(data) + 1


def _jpeg_end(data: bytes) -> int:
    """The offset just after the EOI marker, walking the segments and the entropy-coded data
    (len(data) + 1 when there is none)."""
    pos = 2
    n = len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return n + 1
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while pos + 1 < n:
                if data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                pos += 1
    return n + 1


def _check_image(data: bytes, content_type: str) -> None:
    name = "PNG" if content_type == PNG else "JPG"
    end = _png_end(data) if content_type == PNG else _jpeg_end(data)
    if end > len(data):
        raise _refuse(f"{name} 图片文件不完整或已损坏，无法识别")
    if not _TRAILING_ALLOWED.fullmatch(data[end:]):
        raise _refuse(f"{name} 图片文件末尾附带了其他数据，不能上传")
    if b"%PDF-" in data:
        raise _refuse(f"{name} 图片文件中夹带了 PDF 内容，不能上传")
    limit = getattr(settings, "EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as image:
                width, height = image.size
                if width * height > limit:
                    raise _refuse(
                        f"图片尺寸过大（{width}×{height} 像素），请缩小后上传"
                        f"（不超过 {limit // 10_000} 万像素）"
                    )
                image.verify()
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as image:
                # Strict whatever a library set for the process (WeasyPrint's import turns
                # truncated images on; publication.exports puts the flag back, and this keeps
                # the check strict should another import do it again).
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(f"{name} 图片文件已损坏或不完整，无法识别") from exc


# --- PDF ------------------------------------------------------------------------------------

JAVASCRIPT = "JavaScript 脚本"
LAUNCH = "启动外部程序的动作（Launch）"
EMBEDDED = "嵌入的文件或附件"
XFA = "XFA 动态表单"
_ORDER = (JAVASCRIPT, LAUNCH, EMBEDDED, XFA)
_MAX_DEPTH = 64


def _findings_of_dict(d: Any, found: set[str]) -> None:
    keys = set(d.keys())
    action = d.get("/S")
    if "/JS" in keys or "/JavaScript" in keys or action == pikepdf.Name.JavaScript:
        found.add(JAVASCRIPT)
    if action == pikepdf.Name.Launch:
        found.add(LAUNCH)
    if (
        "/EmbeddedFiles" in keys
        or "/EF" in keys
        or d.get("/Type") == pikepdf.Name.EmbeddedFile
        or d.get("/Subtype") == pikepdf.Name.FileAttachment
    ):
        found.add(EMBEDDED)
    if "/XFA" in keys:
        found.add(XFA)


def _walk(obj: Any, found: set[str], depth: int = 0) -> None:
    """Look at ``obj`` and the direct objects inside it (indirect ones are visited on their
    own, from ``pdf.objects``)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        _findings_of_dict(obj, found)
        children = [obj.get(k) for k in obj]
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream) and (
            not child.is_indirect
        ):
            _walk(child, found, depth + 1)


def pdf_findings(pdf: pikepdf.Pdf) -> list[str]:
    """What active or hidden content ``pdf`` carries, in Chinese, in a fixed order."""
    found: set[str] = set()
    _walk(pdf.trailer, found)
    for obj in pdf.objects:
        _walk(obj, found)
    return [f for f in _ORDER if f in found]


def _check_pdf(data: bytes) -> None:
    # A viewer reads a PDF from its end: after the last %%EOF only blank padding may follow
    # (anything else would be another file read from the end, such as a ZIP archive).
    if not data.rstrip(b"\x00\t\n\r\f ").endswith(b"%%EOF"):
        if b"%%EOF" in data[-4096:]:
            raise _refuse("PDF 文件末尾附带了其他数据，不能上传")
        raise _refuse("PDF 文件不完整（缺少文件结束标记），无法识别")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise _refuse("PDF 文件已加密（设有打开密码），请上传未加密的文件") from exc
    except Exception as exc:  # qpdf's parse errors have several types
        raise _refuse("PDF 文件已损坏或格式不正确，无法识别") from exc
    with pdf:
        if pdf.is_encrypted:
            raise _refuse("PDF 文件已加密（设有权限密码），请上传未加密的文件")
        try:
            pages = len(pdf.pages)
            found = pdf_findings(pdf)
        except Exception as exc:
            raise _refuse("PDF 文件已损坏或格式不正确，无法识别") from exc
        if found:
            raise _refuse(f"PDF 文件含有以下内容，不能上传：{'、'.join(found)}。"
                          "请上传不含脚本和附件的 PDF（如扫描件）")
        if pages == 0:
            raise _refuse("PDF 文件没有页面，无法识别")
