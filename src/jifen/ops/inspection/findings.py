"""A finding (检查项): one check's measured value against its threshold, with a status."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

NORMAL = "正常"
WARNING = "警告"
ABNORMAL = "异常"
_RANK = {NORMAL: 0, WARNING: 1, ABNORMAL: 2}


@dataclass(frozen=True)
class Finding:
    group: str  # 操作系统 / 数据库 / 应用日志 / 备份与审计 / 系统软件 / 汇总
    code: str  # stable, one alert code per check ("disk_var")
    name: str  # Chinese, what was checked
    value: Any  # the measured value (number, text or None when it could not be measured)
    threshold: str  # the rule in words ("≥ 80% 警告；≥ 90% 异常")
    status: str
    unit: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def worst(statuses: Any) -> str:
    """The worst of ``statuses`` (正常 when there are none)."""
    return max(statuses, key=lambda s: _RANK[s], default=NORMAL)


def rank(status: str) -> int:
    return _RANK[status]


def grade(value: float, warn: float | None, critical: float | None = None) -> str:
    """正常 below ``warn``, 警告 from ``warn``, 异常 from ``critical`` (higher is worse)."""
    if critical is not None and value >= critical:
        return ABNORMAL
    if warn is not None and value >= warn:
        return WARNING
    return NORMAL


def rule(warn: Any, critical: Any = None, unit: str = "") -> str:
    """The threshold in words, for the report."""
    text = f"≥ {warn}{unit} 警告"
    if critical is not None:
        text += f"；≥ {critical}{unit} 异常"
    return text


def make(
    group: str,
    code: str,
    name: str,
    value: float,
    *,
    warn: Any,
    critical: Any = None,
    unit: str = "",
    note: str = "",
) -> Finding:
    """A graded finding of a number against its warning (and critical) threshold."""
    return Finding(
        group=group,
        code=code,
        name=name,
        value=value,
        threshold=rule(warn, critical, unit),
        status=grade(value, warn, critical),
        unit=unit,
        note=note,
    )


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover
