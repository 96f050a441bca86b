"""The XLSX download of one statistics table (XlsxWriter): a title, the note, the table."""

from __future__ import annotations

import io

import xlsxwriter

from jifen.core.spreadsheet import safe_text
from jifen.core.watermark import Watermark, apply_to_xlsx

from .adhoc_xlsx import write_row
from .statistics_selectors import Table


def table_xlsx(
    table: Table, *, subtitle: str = "", watermark: Watermark | None = None
) -> bytes:
    """One sheet: the title (and ``subtitle``, e.g. the year and where the numbers come
    from) on top, the note, then the table with its Chinese headers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(table.title[:31])
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1})
    row = 0
    sheet.write_string(row, 0, safe_text(table.title), bold)
    row += 1
    for line in (subtitle, table.note):
        if line:
            sheet.write_string(row, 0, safe_text(line))
            row += 1
    row += 1
    # write_row (adhoc_xlsx): numbers as numbers, every text through safe_text.
    write_row(sheet, row, list(table.columns), head)
    for values in table.rows:
        row += 1
        write_row(sheet, row, list(values))
    for col, name in enumerate(table.columns):
        width = max([len(str(name)) * 2] + [len(str(r[col])) + 2 for r in table.rows] + [8])
        sheet.set_column(col, col, min(width, 40))
    sheet.freeze_panes(row - len(table.rows) + 1, 0)
    apply_to_xlsx(book, watermark)
    book.close()
    return out.getvalue()
