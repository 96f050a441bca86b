"""Backups and the audit chain (备份与审计): the age of the last backup and of the last
recovery drill (and whether it passed), the audit chain's last verification (age, result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jifen.ops import parameters, selectors

from .findings import ABNORMAL, NORMAL, WARNING, Finding, make, rule

GROUP = "备份与审计"


@dataclass(frozen=True)
class BackupMeasurements:
    backup_age_hours: float | None  # None: no backup yet
    drill_age_days: float | None
    drill_ok: bool | None
    chain_age_hours: float | None
    chain_ok: bool | None


def measure_backups(now: datetime) -> BackupMeasurements:
    backup = selectors.latest_backup()
    drill = selectors.latest_drill()
    chain = selectors.latest_chain_verification()
    return BackupMeasurements(
        backup_age_hours=(
            round((now - backup.created).total_seconds() / 3600, 1) if backup else None
        ),
        drill_age_days=round((now - drill.started).total_seconds() / 86400, 1) if drill else None,
        drill_ok=drill.ok if drill else None,
        chain_age_hours=round((now - chain.at).total_seconds() / 3600, 1) if chain else None,
        chain_ok=chain.ok if chain else None,
    )


def check_backups(m: BackupMeasurements) -> list[Finding]:
    p = parameters.get
    found: list[Finding] = []
    warn, critical = p("inspect_backup_age_hours_warn"), p("inspect_backup_age_hours_critical")
    if m.backup_age_hours is None:
        found.append(
            Finding(
                GROUP,
                "backup_age",
                "最近一次备份距今",
                None,
                rule(warn, critical, " 小时"),
                ABNORMAL,
                unit=" 小时",
                note="尚无成功的备份",
            )
        )
    else:
        found.append(
            make(
                GROUP,
                "backup_age",
                "最近一次备份距今",
                m.backup_age_hours,
                unit=" 小时",
                warn=warn,
                critical=critical,
            )
        )
    drill_warn = p("inspect_drill_age_days_warn")
    if m.drill_age_days is None:
        found.append(
            Finding(
                GROUP,
                "drill_age",
                "最近一次恢复演练距今",
                None,
                rule(drill_warn, unit=" 天"),
                WARNING,
                unit=" 天",
                note="尚未演练",
            )
        )
    else:
        found.append(
            make(
                GROUP,
                "drill_age",
                "最近一次恢复演练距今",
                m.drill_age_days,
                unit=" 天",
                warn=drill_warn,
            )
        )
        found.append(
            Finding(
                GROUP,
                "drill_result",
                "最近一次恢复演练结果",
                "通过" if m.drill_ok else "未通过",
                "未通过即异常",
                NORMAL if m.drill_ok else ABNORMAL,
            )
        )
    chain_warn = p("inspect_chain_verification_age_hours_warn")
    if m.chain_age_hours is None:
        found.append(
            Finding(
                GROUP,
                "chain_age",
                "审计链最近校验距今",
                None,
                rule(chain_warn, unit=" 小时"),
                WARNING,
                unit=" 小时",
                note="尚未校验",
            )
        )
    else:
        found.append(
            make(
                GROUP,
                "chain_age",
                "审计链最近校验距今",
                m.chain_age_hours,
                unit=" 小时",
                warn=chain_warn,
            )
        )
        found.append(
            Finding(
                GROUP,
                "chain_result",
                "审计链最近校验结果",
                "完整" if m.chain_ok else "校验未通过",
                "校验未通过即异常",
                NORMAL if m.chain_ok else ABNORMAL,
            )
        )
    return found
