"""XLSX export of a what-if (模拟测算): the two sides and every applicant's difference."""

from __future__ import annotations

import io
from typing import Any

from jifen.core.watermark import Watermark, apply_to_xlsx

from .adhoc_xlsx import new_workbook, safe_text, write_row
from .whatif import Standing, WhatIf

HEADERS = [
    "申请编号",
    "变化",
    "原排名",
    "模拟排名",
    "原总积分",
    "模拟总积分",
    "原是否取得资格",
    "模拟是否取得资格",
    "原因",
]


def _total(s: Standing | None) -> Any:
    return "—" if s is None or s.total_cents is None else s.total_cents / 100


def _rank(s: Standing | None) -> Any:
    return "—" if s is None or s.rank is None else s.rank


def _yes(s: Standing | None) -> str:
    return "是" if s is not None and s.admitted else "否"


def whatif_xlsx(outcome: WhatIf, *, watermark: Watermark | None = None) -> bytes:
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("模拟测算")
    sheet.write_string(0, 0, f"{outcome.round.year}年度模拟测算", bold)
    sheet.write_string(1, 0, safe_text(outcome.description))
    write_row(sheet, 3, ["", "规则", "落户指标数", "分数线", "取得资格人数", "符合条件人数"], bold)
    for i, side in enumerate((outcome.before, outcome.after), start=4):
        write_row(
            sheet,
            i,
            [
                side.label,
                f"{side.rule_set} {side.rule_set_version}",
                side.quota if side.quota is not None else "—",
                side.line,
                side.admitted,
                side.eligible,
            ],
        )
    write_row(
        sheet,
        6,
        [
            f"新增{outcome.count('in')}人，不再取得{outcome.count('out')}人；"
            f"未参加测算（无初核结果）{outcome.left_out}份"
        ],
    )
    write_row(sheet, 8, HEADERS, bold)
    for i, d in enumerate(outcome.differences, start=9):
        write_row(
            sheet,
            i,
            [
                d.application_no,
                d.change_label,
                _rank(d.before),
                _rank(d.after),
                _total(d.before),
                _total(d.after),
                _yes(d.before),
                _yes(d.after),
                "；".join(d.why),
            ],
        )
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 7, 12)
    sheet.set_column(8, 8, 60)
    apply_to_xlsx(book, watermark)
    book.close()
    return buffer.getvalue()
