"""XLSX export of an ad-hoc statistics answer (XlsxWriter): hidden cells are left out (the
cell says only "<10" or "—"), text is never read as a formula."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter

from jifen.core.spreadsheet import safe_text
from jifen.core.watermark import Watermark, apply_to_xlsx

from .adhoc import Answer


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )


def write_row(sheet: Any, row: int, values: list[Any], fmt: Any = None) -> None:
    for col, value in enumerate(values):
        if value is None:
            continue  # an empty cell
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            sheet.write_number(row, col, float(value), fmt)
        else:
            sheet.write_string(row, col, safe_text(value), fmt)


def answer_xlsx(answer: Answer, *, watermark: Watermark | None = None) -> bytes:
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("应急统计")
    sheet.write_string(0, 0, "应急统计", bold)
    sheet.write_string(1, 0, safe_text(answer.question.describe()))
    sheet.write_string(
        2,
        0,
        f"少于{answer.minimum}人的分组不显示（“<{answer.minimum}”），为防止由合计推算而"
        "一并隐去的分组显示为“—”。",
    )
    write_row(sheet, 4, answer.headers(), bold)
    measures = answer.question.measures
    n_groups = len(answer.question.group_by)
    for i, (row, shown) in enumerate(zip(answer.rows, answer.table(), strict=True), start=5):
        values: list[Any] = list(shown[:n_groups])
        for m, text in zip(measures, shown[n_groups:], strict=True):
            if row.hidden:
                values.append(text)  # "<10" or "—": the number is not exported
            elif m == "count":
                values.append(row.count)
            else:
                values.append(float(text) if text != "—" else "—")
        write_row(sheet, i, values)
    sheet.set_column(0, n_groups - 1, 24)
    sheet.set_column(n_groups, n_groups + len(measures), 16)
    apply_to_xlsx(book, watermark)
    book.close()
    return buffer.getvalue()
