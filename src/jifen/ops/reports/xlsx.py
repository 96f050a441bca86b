"""The report as an XLSX workbook (XlsxWriter): a cover sheet, then one sheet per section with
its tables, and native charts for the trends (visits per month, availability per month,
disk use and database size per day)."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from jifen.core.spreadsheet import safe_text
from jifen.core.watermark import Watermark, apply_to_xlsx

from . import render


def _write_cell(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    if isinstance(value, bool) or value is None:
        sheet.write_string(row, col, "" if value is None else ("是" if value else "否"), fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
    else:
        # write_string: never a formula, whatever the text (a leading "=" is escaped).
        sheet.write_string(row, col, safe_text(str(value)), fmt)


def to_xlsx(
    data: dict[str, Any], *, generated_at: str, watermark: Watermark | None = None
) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    cell = book.add_format({"border": 1})

    cover = book.add_worksheet("封面")
    cover.set_column(0, 0, 16)
    cover.set_column(1, 1, 60)
    cover.write_string(0, 0, data["period"]["title"], title)
    for r, (label, value) in enumerate(
        [
            ("报告期", f"{data['period']['first_day']} 至 {data['period']['last_day']}"),
            ("数据截至", data["period"]["as_of"]),
            ("生成时间", generated_at),
        ],
        start=2,
    ):
        cover.write_string(r, 0, label, bold)
        cover.write_string(r, 1, value)

    for section in render.sections(data):
        sheet = book.add_worksheet(section["title"].replace("（", "(").replace("）", ")")[:31])
        sheet.write_string(0, 0, section["heading"], title)
        row = 2
        if section["empty"]:
            sheet.write_string(row, 0, render.NO_RECORDS)
            continue
        for note in section["notes"]:
            sheet.write_string(row, 0, note)
            row += 1
        row += 1
        placed: list[tuple[int, int, int, int]] = []  # (first data row, last, columns, caption row)
        widths: dict[int, int] = {}
        for table in section["tables"]:
            sheet.write_string(row, 0, table["caption"], bold)
            caption_row = row
            row += 1
            for c, h in enumerate(table["headers"]):
                sheet.write_string(row, c, h, header)
                widths[c] = max(widths.get(c, 8), min(60, len(h) * 2 + 2))
            row += 1
            first = row
            for values in table["rows"]:
                for c, value in enumerate(values):
                    _write_cell(sheet, row, c, value, cell)
                    widths[c] = max(widths.get(c, 8), min(60, len(str(value)) * 2 + 2))
                row += 1
            placed.append((first, row - 1, len(table["headers"]), caption_row))
            row += 1
        for c, w in widths.items():
            sheet.set_column(c, c, w)
        for k, spec in enumerate(section["xlsx_charts"]):
            first, last, columns, _ = placed[spec["table"]]
            if last < first:
                continue
            chart = book.add_chart({"type": spec["type"]})
            for col in spec["values"]:
                series: dict[str, Any] = {
                    "name": spec["title"],
                    "categories": [sheet.name, first, 0, last, 0],
                    "values": [sheet.name, first, col, last, col],
                }
                if spec["type"] == "line":
                    series["marker"] = {"type": "circle"}
                chart.add_series(series)
            chart.set_title({"name": spec["title"]})
            chart.set_legend({"none": True})
            chart.set_size({"width": 640, "height": 300})
            sheet.insert_chart(2 + k * 16, columns + 1, chart)
    apply_to_xlsx(book, watermark)
    book.close()
    return buffer.getvalue()
