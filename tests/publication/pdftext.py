"""The text of a PDF, read with pikepdf (no pdftotext on the machines): each shown string
mapped through its font's ToUnicode CMap (WeasyPrint writes one for every embedded font)."""

from __future__ import annotations

import re

import pikepdf

_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _cmap(stream: pikepdf.Stream) -> tuple[dict[int, str], int]:
    data = stream.read_bytes()
    table: dict[int, str] = {}
    width = 2
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        pairs = _HEX.findall(block)
        for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
            width = len(src) // 2
            table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            width = len(lo) // 2
            start = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(start + k)
    return table, width


def _decode(raw: bytes, cmap: tuple[dict[int, str], int]) -> str:
    table, width = cmap
    return "".join(
        table.get(int.from_bytes(raw[i : i + width], "big"), "")
        for i in range(0, len(raw) - width + 1, width)
    )


def pdf_text(data: bytes) -> str:
    return "".join(page_texts(data))


def page_texts(data: bytes) -> list[str]:
    """The text of each page."""
    import io

    texts = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            out: list[str] = []
            fonts = page.Resources.get("/Font", {})
            cmaps = {
                str(name): _cmap(font.ToUnicode)
                for name, font in fonts.items()
                if "/ToUnicode" in font
            }
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tf":
                    current = cmaps.get(str(operands[0]))
                elif op == "Tj" and current:
                    out.append(_decode(bytes(operands[0]), current))
                elif op == "TJ" and current:
                    for part in operands[0]:
                        if isinstance(part, pikepdf.String):
                            out.append(_decode(bytes(part), current))
                elif op in ("ET", "Td", "TD", "T*"):
                    out.append(" ")
            texts.append("".join(out))
    return texts
