"""A report's period: a month (``2026-11``), a quarter (``2026Q4``) or a year (``2026``), as
a half-open interval of Beijing time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jifen.core.errors import ServiceError

BEIJING = ZoneInfo("Asia/Shanghai")

KINDS: dict[str, str] = {"month": "月度", "quarter": "季度", "year": "年度"}
_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(\d{1,2})$"),
    "quarter": re.compile(r"^(\d{4})[Qq]([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
_EXAMPLES = {"month": "2026-11", "quarter": "2026Q4", "year": "2026"}


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    label: str  # 2026-11 | 2026Q4 | 2026
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        """Beijing midnight of the first day (aware)."""
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=BEIJING)

    @property
    def end(self) -> datetime:
        """Beijing midnight after the last day (exclusive end, aware)."""
        return datetime.combine(
            self.last_day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING
        )

    @property
    def title(self) -> str:
        y = self.first_day.year
        if self.kind == "month":
            name = f"{y}年{self.first_day.month}月运维巡检月报"
        elif self.kind == "quarter":
            name = f"{y}年第{self.label[-1]}季度运维报告"
        else:
            name = f"{y}年度运维报告"
        return f"北京市积分落户管理信息系统{name}"

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month in the period."""
        out, (y, m) = [], (self.first_day.year, self.first_day.month)
        while (y, m) <= (self.last_day.year, self.last_day.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def parse(kind: str, text: str) -> Period:
    """The period ``text`` of ``kind``, or a ServiceError naming the field."""
    if kind not in KINDS:
        raise ServiceError("报告类型应为月度、季度或年度。", field="kind")
    raw = (text or "").strip()
    match = _PATTERNS[kind].match(raw)
    if not match:
        raise ServiceError(
            f"{KINDS[kind]}报告的期间格式应如“{_EXAMPLES[kind]}”，收到“{raw}”。", field="period"
        )
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise ServiceError(f"年份“{year}”超出范围（2000—2100）。", field="period")
    if kind == "month":
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ServiceError(f"月份应为 1—12，收到“{month}”。", field="period")
        return Period(kind, f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if kind == "quarter":
        q = int(match.group(2))
        first = date(year, 3 * q - 2, 1)
        return Period(kind, f"{year}Q{q}", first, _month_end(year, 3 * q))
    return Period(kind, str(year), date(year, 1, 1), date(year, 12, 31))


def last_complete(kind: str, now: datetime) -> Period:
    """The last period of ``kind`` that ended before ``now`` (Beijing time)."""
    today = now.astimezone(BEIJING).date()
    if kind == "month":
        prev = today.replace(day=1) - timedelta(days=1)
        return parse("month", f"{prev.year}-{prev.month:02d}")
    if kind == "quarter":
        q = (today.month - 1) // 3 + 1
        year, q = (today.year - 1, 4) if q == 1 else (today.year, q - 1)
        return parse("quarter", f"{year}Q{q}")
    return parse("year", str(today.year - 1))
