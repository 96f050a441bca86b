"""The watermark of an export of personal data: who exported it and when, on the file itself.

One helper for every export (the published list, statistics, ad-hoc statistics, what-if,
service visits, incident reports, operations reports), so that a file found outside the
system names its source:

- XLSX (XlsxWriter): the text as every sheet's header and footer line (printed on every
  page), and as document properties (``comments`` and the custom property ``导出水印``);
- PDF (WeasyPrint): a line at the top of every page (``@page`` margin box);
- CSV: a first comment line starting with ``#`` (readers of the file skip it as a comment; the
  header row follows).

The exporter is named by display name and login name, never by identity number. Logging the
export (who, what, when, how many rows) is :func:`jifen.audit.exports.record_export`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

BEIJING = ZoneInfo("Asia/Shanghai")
PROPERTY = "导出水印"
NOTICE = "含个人信息，仅限工作使用，不得外传"
ANONYMOUS = "公众（未登录）"
SYSTEM = "系统（定时任务）"


@dataclass(frozen=True)
class Watermark:
    who: str
    at: datetime
    notice: str = NOTICE

    @property
    def at_text(self) -> str:
        return f"{self.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}（北京时间）"

    @property
    def text(self) -> str:
        return f"导出人：{self.who}　导出时间：{self.at_text}　{self.notice}"


def exporter_name(actor: Any) -> str:
    """How the watermark names ``actor`` (a user, None for the system, or anonymous)."""
    if actor is None:
        return SYSTEM
    if not getattr(actor, "is_authenticated", False):
        return ANONYMOUS
    username = actor.get_username()
    full = (getattr(actor, "full_name", "") or "").strip()
    return f"{full}（{username}）" if full and full != username else username


def for_actor(actor: Any, *, at: datetime | None = None, notice: str = NOTICE) -> Watermark:
    """The watermark of an export by ``actor`` now (or at ``at``)."""
    return Watermark(who=exporter_name(actor), at=at or timezone.now(), notice=notice)


def _header_text(text: str) -> str:
    # XlsxWriter's header codes start with "&": a literal one is doubled; 8-point, left.
    return "&L&8" + text.replace("&", "&&")


def apply_to_xlsx(book: Any, mark: Watermark | None) -> None:
    """Put ``mark`` on every sheet (header and footer) and into the workbook's properties.
    Call it just before ``book.close()``, once every sheet is added."""
    if mark is None:
        return
    for sheet in book.worksheets():
        sheet.set_header(_header_text(mark.text))
        sheet.set_footer(_header_text(mark.text))
    book.set_properties({"comments": mark.text, "keywords": PROPERTY})
    book.set_custom_property(PROPERTY, mark.text)


def csv_comment(mark: Watermark) -> str:
    """The CSV's first line (before the header row)."""
    return f"# {mark.text}\r\n"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pdf_style(mark: Watermark) -> str:
    """A style block putting ``mark`` at the top of every page of a WeasyPrint PDF."""
    return (
        "<style>@page { @top-center { content: "
        + _css_string(mark.text)
        + '; font-family: "Noto Sans CJK SC", sans-serif; font-size: 7pt; color: #555; } }'
        "</style>"
    )


def html_with_mark(html: str, mark: Watermark | None) -> str:
    """``html`` with :func:`pdf_style` added at the end of its head (or at its start)."""
    if mark is None:
        return html
    style = pdf_style(mark)
    at = html.lower().find("</head>")
    return html[:at] + style + html[at:] if at >= 0 else style + html
