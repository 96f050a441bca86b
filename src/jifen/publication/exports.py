"""The downloads of a published list, made once at publication time: CSV, XLSX and PDF.

The layout is that of the official lists: rank, name, masked identity number, birth month,
employer, the ten indicator scores and the total, under the title
"北京市20XX年积分落户公示名单".
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from jifen.core.pdf import html_to_pdf
from jifen.core.spreadsheet import safe_text
from jifen.core.watermark import Watermark, apply_to_xlsx, csv_comment
from jifen.rules import INDICATORS

# Short column names of the ten published components (jifen.rules.INDICATORS order).
INDICATOR_HEADERS: dict[str, str] = {
    "employment": "合法稳定就业",
    "housing": "合法稳定住所",
    "education": "教育背景",
    "study_deduction": "学历期间扣减",
    "area": "职住区域",
    "innovation": "创新创业",
    "tax": "纳税",
    "age": "年龄",
    "honours": "荣誉表彰",
    "law": "守法记录",
}
assert tuple(INDICATOR_HEADERS) == INDICATORS

HEADERS: tuple[str, ...] = (
    "排名",
    "姓名",
    "公民身份号码",
    "出生年月",
    "单位名称",
    *INDICATOR_HEADERS.values(),
    "积分",
)

# The PDF's columns, in monospaced character widths (a Chinese character takes two): rank,
# name, identity number, birth month, employer, the ten scores, total.
PDF_COLUMNS: tuple[int, ...] = (5, 12, 18, 7, 44, *(6,) * 10, 7)

def title(year: int) -> str:
    return f"北京市{year}年积分落户公示名单"


def row_values(entry: Any) -> list[Any]:
    """One entry as the list's cells (text, then the scores and total as Decimals)."""
    return [
        entry.rank,
        entry.name,
        entry.id_masked,
        entry.birth_month,
        entry.employer,
        *(Decimal(s) for s in entry.scores),
        Decimal(entry.total),
    ]


def to_csv(entries: Iterable[Any], *, watermark: Watermark | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese correctly; the watermark
    is the first line, a comment starting with "#"."""
    out = io.StringIO()
    if watermark is not None:
        out.write(csv_comment(watermark))
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for entry in entries:
        cells = row_values(entry)
        writer.writerow(
            [cells[0], *(safe_text(str(c)) for c in cells[1:5]), *(f"{c:.2f}" for c in cells[5:])]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(entries: Iterable[Any], *, year: int, watermark: Watermark | None = None) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory: rows are flushed as written (6,000 rows or 600,000 alike).
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("公示名单")
    bold = book.add_format({"bold": True})
    number = book.add_format({"num_format": "0.00"})
    sheet.write_string(0, 0, title(year), bold)
    for col, header in enumerate(HEADERS):
        sheet.write_string(1, col, header, bold)
    sheet.set_column(1, 1, 10)
    sheet.set_column(2, 2, 21)
    sheet.set_column(4, 4, 36)
    for r, entry in enumerate(entries, start=2):
        cells = row_values(entry)
        sheet.write_number(r, 0, cells[0])
        for col in range(1, 5):
            # write_string: never a formula, whatever the text; the apostrophe shows why.
            sheet.write_string(r, col, safe_text(str(cells[col])))
        for col in range(5, len(cells)):
            sheet.write_number(r, col, float(cells[col]), number)
    apply_to_xlsx(book, watermark)
    book.close()
    return buffer.getvalue()


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced CJK font: Chinese characters take two, and so
    do the "ambiguous" ones (the middle dot of 买买提·艾力) in that font."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` columns."""
    lines, line = [], ""
    for ch in text:
        if display_width(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line]


def _grid_row(cells: Sequence[str], numeric_from: int) -> str:
    """One row of the list as lines of fixed-width text, each cell padded (or wrapped) to its
    column; the numbers right-aligned."""
    wrapped = [_wrap(str(c), w) for c, w in zip(cells, PDF_COLUMNS, strict=True)]
    height = max(len(w) for w in wrapped)
    lines = []
    for k in range(height):
        parts = []
        for col, (cell, width) in enumerate(zip(wrapped, PDF_COLUMNS, strict=True)):
            text = cell[k] if k < len(cell) else ""
            pad = " " * (width - display_width(text))
            parts.append(pad + text if col == 0 or col >= numeric_from else text + pad)
        lines.append(" ".join(parts).rstrip())
    return "\n".join(lines)


def to_pdf(entries: Sequence[Any], *, year: int, watermark: Watermark | None = None) -> bytes:
    """A4 landscape, the header row repeated on every page, page numbers at the foot; the
    Chinese font is Noto Sans Mono CJK found by fontconfig (Debian fonts-noto-cjk).

    Each row is one table cell of monospaced text, its columns padded to fixed widths (a
    Chinese character is exactly two columns wide in that font): WeasyPrint lays out and
    shapes every cell on its own, and 6,000 rows of 16 cells took minutes where 6,000 cells
    of one line each take seconds (docs/publication.md).
    """
    numeric_from = 5
    rows = [
        _grid_row(
            [str(c) if i < 5 else f"{c:.2f}" for i, c in enumerate(row_values(e))], numeric_from
        )
        for e in entries
    ]
    html = render_to_string(
        "publication/list_pdf.html",
        {"title": title(year), "header": _grid_row(HEADERS, len(HEADERS)), "rows": rows},
    )
    return html_to_pdf(html, watermark=watermark)
