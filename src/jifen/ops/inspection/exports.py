"""The inspection report (巡检报告) as PDF (WeasyPrint, Chinese with Noto CJK) and XLSX."""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from jifen.core.pdf import html_to_pdf
from jifen.core.spreadsheet import safe_text
from jifen.ops.models import Inspection

from .findings import human_bytes


def title(inspection: Inspection) -> str:
    return f"{inspection.get_kind_display()}报告（{period_text(inspection)}）"


def period_text(inspection: Inspection) -> str:
    start = timezone.localtime(inspection.period_start)
    end = timezone.localtime(inspection.period_end)
    return f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}"


def value_text(row: dict[str, Any]) -> str:
    value = row.get("value")
    return "—" if value is None else f"{value}{row.get('unit', '')}"


def filename(inspection: Inspection, ext: str) -> str:
    return f"inspection-{inspection.pk}-{timezone.localtime(inspection.created):%Y%m%d}.{ext}"


def to_pdf(inspection: Inspection) -> bytes:
    html = render_to_string(
        "ops/inspection_pdf.html",
        {
            "inspection": inspection,
            "title": title(inspection),
            "period": period_text(inspection),
            "rows": [{**row, "shown": value_text(row)} for row in inspection.findings],
            "counts": inspection.summary.get("counts", {}),
            "now": timezone.localtime(),
        },
    )
    return html_to_pdf(html)


HEADERS = ("类别", "检查项", "检测值", "单位", "阈值", "结论", "说明")


def to_xlsx(inspection: Inspection) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    flagged = {
        "警告": book.add_format({"bg_color": "#FFF2CC"}),
        "异常": book.add_format({"bg_color": "#F8CBAD", "bold": True}),
    }
    sheet = book.add_worksheet("巡检结果")
    sheet.write_string(0, 0, title(inspection), bold)
    sheet.write_string(1, 0, f"结论：{inspection.status}")
    for col, header in enumerate(HEADERS):
        sheet.write_string(3, col, header, bold)
    for r, row in enumerate(inspection.findings, start=4):
        fmt = flagged.get(row["status"])
        sheet.write_string(r, 0, safe_text(row["group"]), fmt)
        sheet.write_string(r, 1, safe_text(row["name"]), fmt)
        value = row.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(r, 2, value, fmt)
        else:
            sheet.write_string(r, 2, safe_text(value if value is not None else "—"), fmt)
        sheet.write_string(r, 3, safe_text(row.get("unit", "").strip()), fmt)
        sheet.write_string(r, 4, safe_text(row["threshold"]), fmt)
        sheet.write_string(r, 5, row["status"], fmt)
        sheet.write_string(r, 6, safe_text(row.get("note", "")), fmt)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 3, 12)
    sheet.set_column(4, 4, 30)
    sheet.set_column(6, 6, 50)
    summary = book.add_worksheet("摘要")
    summary.write_string(0, 0, "项目", bold)
    summary.write_string(0, 1, "取值", bold)
    for r, (key, value) in enumerate(_summary_rows(inspection), start=1):
        key = f"{key}（字节）" if key in ("数据库大小", "磁盘已用") else key
        summary.write_string(r, 0, key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            summary.write_number(r, 1, value)
        else:
            summary.write_string(r, 1, safe_text(value))
    trend = inspection.summary.get("trend")
    if trend:
        sheet3 = book.add_worksheet("容量趋势")
        for col, header in enumerate(("日期", "数据库大小（字节）", "磁盘使用率（%）")):
            sheet3.write_string(0, col, header, bold)
        for r, point in enumerate(trend, start=1):
            sheet3.write_string(r, 0, point["day"])
            for col, key in ((1, "database_bytes"), (2, "disk_used_percent")):
                if point.get(key) is not None:
                    sheet3.write_number(r, col, point[key])
    book.close()
    return buffer.getvalue()


SUMMARY_LABELS = {
    "day": "巡检日期",
    "month": "月份",
    "database_bytes": "数据库大小",
    "disk_used_percent": "磁盘使用率（%）",
    "disk_used_bytes": "磁盘已用",
    "requests": "请求数",
    "errors_5xx": "5xx 响应数",
    "login_failures": "登录失败次数",
    "days_expected": "应巡检天数",
    "days_inspected": "已巡检天数",
    "alerts": "巡检告警数",
    "incidents": "涉及故障单数",
    "alerts_raised": "本次巡检告警数",
}


def _summary_rows(inspection: Inspection) -> list[tuple[str, Any]]:
    return [
        (label, inspection.summary[key])
        for key, label in SUMMARY_LABELS.items()
        if inspection.summary.get(key) is not None
    ]


def summary_rows(inspection: Inspection) -> list[tuple[str, Any]]:
    """The summary figures for a page: sizes in KB/MB/GB (the XLSX keeps the bytes)."""
    rows = []
    for key, label in SUMMARY_LABELS.items():
        value = inspection.summary.get(key)
        if value is None:
            continue
        rows.append((label, human_bytes(value) if key.endswith("_bytes") else value))
    return rows
