"""The daily inspection (日常巡检), the weekly system-software check and the monthly summary:
each check graded against its parameters, the log files counted, the command's JSON last
line, alerts opening incidents, the reports as PDF and XLSX, and the console's pages."""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.roles import Role
from jifen.ops import parameters
from jifen.ops.inspection import checks_backup, checks_db, checks_logs, checks_os, exports
from jifen.ops.inspection.service import DailyInputs, run_daily, run_monthly, run_weekly
from jifen.ops.models import Alert, Incident, Inspection
from tests.factories import make_staff, staff_client
from tests.ops.logfiles import request_line, write_log
from tests.publication.pdftext import pdf_text

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def _os(**kw: Any) -> checks_os.OsMeasurements:
    disk = kw.pop("disk", 40.0)
    base = {
        "cpu_percent": 10.0,
        "memory_percent": 30.0,
        "load_15": 0.5,
        "cpu_count": 2,
        "disks": [checks_os.Disk("数据目录", "/var", 100 * 2**30, int(disk * 2**30), disk)],
    }
    return checks_os.OsMeasurements(**{**base, **kw})


def _inputs(**kw: Any) -> DailyInputs:
    return DailyInputs(
        os=kw.get("os") or _os(),
        db=kw.get("db")
        or checks_db.DbMeasurements(vendor="sqlite", size_bytes=5 * 2**20, page_count=100),
        logs=kw.get("logs") or checks_logs.LogStats(requests=1000, status_4xx=10),
        logins=kw.get("logins") or checks_logs.LoginStats(logins=40, failures=2),
        backups=kw.get("backups") or checks_backup.BackupMeasurements(3.0, 10.0, True, 1.0, True),
    )


def _status(findings: list[Any], code: str) -> str:
    return next(f.status for f in findings if f.code == code)


# ---- thresholds, check by check -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "code", "status"),
    [
        ("cpu_percent", 79.9, "cpu", "正常"),
        ("cpu_percent", 80.0, "cpu", "警告"),
        ("cpu_percent", 95.0, "cpu", "异常"),
        ("memory_percent", 84.9, "memory", "正常"),
        ("memory_percent", 85.0, "memory", "警告"),
        ("memory_percent", 96.0, "memory", "异常"),
        ("disk", 79.9, "disk", "正常"),
        ("disk", 80.0, "disk", "警告"),
        ("disk", 90.0, "disk", "异常"),
        ("load_15", 2.9, "load", "正常"),  # 1.45 per core of 2
        ("load_15", 3.0, "load", "警告"),  # 1.5 per core
        ("load_15", 6.0, "load", "异常"),  # 3.0 per core
    ],
)
def test_os_thresholds(field: str, value: float, code: str, status: str) -> None:
    assert _status(checks_os.check_os(_os(**{field: value})), code) == status


def test_os_threshold_follows_the_parameter() -> None:
    parameters.set_parameter(
        actor=None, key="inspect_disk_percent_warn", value="70", reason="扩容前收紧"
    )
    found = checks_os.check_os(_os(disk=72.0))
    disk = next(f for f in found if f.code == "disk")
    assert (disk.status, disk.value, disk.threshold) == ("警告", 72.0, "≥ 70% 警告；≥ 90% 异常")


def _pg(**kw: Any) -> checks_db.DbMeasurements:
    base: dict[str, Any] = {
        "vendor": "postgresql",
        "size_bytes": 100 * 2**20,
        "connections": 10,
        "connections_by_state": {"active": 2, "idle": 8},
        "commits": 990,
        "rollbacks": 10,
    }
    return checks_db.DbMeasurements(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"connections": 79}, "db_connections", "正常"),
        ({"connections": 80}, "db_connections", "警告"),
        ({"connections": 150}, "db_connections", "异常"),
        ({"long_transactions": []}, "db_long_transactions", "正常"),
        ({"long_transactions": [12.0]}, "db_long_transactions", "警告"),
        ({"long_transactions": [31.0, 6.0]}, "db_long_transactions", "异常"),
        ({"deadlocks": 0}, "db_deadlocks", "正常"),
        ({"deadlocks": 1}, "db_deadlocks", "警告"),
        ({"commits": 95, "rollbacks": 5}, "db_rollbacks", "警告"),  # 5.00 %
        ({"commits": 96, "rollbacks": 4}, "db_rollbacks", "正常"),
        ({"size_bytes": 51200 * 2**20}, "db_size", "警告"),
    ],
)
def test_postgresql_thresholds(kw: dict[str, Any], code: str, status: str) -> None:
    assert _status(checks_db.check_db(_pg(**kw)), code) == status


@pytest.mark.parametrize(
    ("kw", "code", "status"),
    [
        ({"quick_check": "ok"}, "db_integrity", "正常"),
        (
            {"quick_check": "*** in database main *** Page 5: btreeInitPage() error 11"},
            "db_integrity",
            "异常",
        ),
        ({"wal_bytes": 511 * 2**20}, "db_wal", "正常"),
        ({"wal_bytes": 512 * 2**20}, "db_wal", "警告"),
        ({"freelist_pages": 25, "page_count": 100}, "db_freelist", "警告"),
        ({"freelist_pages": 24, "page_count": 100}, "db_freelist", "正常"),
    ],
)
def test_sqlite_thresholds(kw: dict[str, Any], code: str, status: str) -> None:
    m = checks_db.DbMeasurements(
        **{"vendor": "sqlite", "size_bytes": 2**20, "page_count": 100, **kw}
    )
    assert _status(checks_db.check_db(m), code) == status


@pytest.mark.parametrize(
    ("stats", "code", "status"),
    [
        (checks_logs.LogStats(requests=1000, status_5xx=9), "status_5xx", "正常"),  # 0.9 %
        (checks_logs.LogStats(requests=1000, status_5xx=10), "status_5xx", "警告"),  # 1 %
        (checks_logs.LogStats(requests=1000, status_5xx=50), "status_5xx", "异常"),  # 5 %
        (checks_logs.LogStats(requests=1000, status_4xx=200), "status_4xx", "警告"),
        (checks_logs.LogStats(requests=1000, slow=49), "slow_requests", "正常"),
        (checks_logs.LogStats(requests=1000, slow=50), "slow_requests", "警告"),
        (checks_logs.LogStats(requests=0), "status_5xx", "正常"),
        (checks_logs.LogStats(found=False), "access_log", "警告"),
    ],
)
def test_log_thresholds(stats: checks_logs.LogStats, code: str, status: str) -> None:
    assert _status(checks_logs.check_logs(stats, checks_logs.LoginStats()), code) == status


@pytest.mark.parametrize(
    ("logins", "code", "status"),
    [
        (checks_logs.LoginStats(failures=49), "login_failures", "正常"),
        (checks_logs.LoginStats(failures=50), "login_failures", "警告"),
        (checks_logs.LoginStats(failures=200), "login_failures", "异常"),
        (checks_logs.LoginStats(lockouts=4), "lockouts", "正常"),
        (checks_logs.LoginStats(lockouts=5), "lockouts", "警告"),
        (checks_logs.LoginStats(unusual_hours=0), "unusual_logins", "正常"),
        (checks_logs.LoginStats(unusual_hours=1), "unusual_logins", "警告"),
    ],
)
def test_login_thresholds(logins: checks_logs.LoginStats, code: str, status: str) -> None:
    assert _status(checks_logs.check_logs(checks_logs.LogStats(), logins), code) == status


@pytest.mark.parametrize(
    ("m", "code", "status"),
    [
        (checks_backup.BackupMeasurements(25.9, 1, True, 1, True), "backup_age", "正常"),
        (checks_backup.BackupMeasurements(26.0, 1, True, 1, True), "backup_age", "警告"),
        (checks_backup.BackupMeasurements(50.0, 1, True, 1, True), "backup_age", "异常"),
        (checks_backup.BackupMeasurements(None, 1, True, 1, True), "backup_age", "异常"),
        (checks_backup.BackupMeasurements(1, 92.0, True, 1, True), "drill_age", "警告"),
        (checks_backup.BackupMeasurements(1, None, None, 1, True), "drill_age", "警告"),
        (checks_backup.BackupMeasurements(1, 3, False, 1, True), "drill_result", "异常"),
        (checks_backup.BackupMeasurements(1, 3, True, 26.0, True), "chain_age", "警告"),
        (checks_backup.BackupMeasurements(1, 3, True, 2, False), "chain_result", "异常"),
    ],
)
def test_backup_thresholds(m: checks_backup.BackupMeasurements, code: str, status: str) -> None:
    assert _status(checks_backup.check_backups(m), code) == status


# ---- the log files ------------------------------------------------------------------------


def test_access_log_counts_from_real_files_with_rotation(tmp_path: Path) -> None:
    start = datetime(2026, 11, 20, tzinfo=TZ)
    end = start + timedelta(days=1)
    at = start + timedelta(hours=9)
    # The current file: the day's last requests and one of the next day (not counted).
    write_log(
        tmp_path / "access.log",
        [
            request_line(at + timedelta(hours=5), status=200, duration_ms=120),
            request_line(at + timedelta(hours=6), status=503, duration_ms=2500),
            request_line(at + timedelta(hours=7), status=500, event="request_failed"),
            request_line(end + timedelta(hours=1), status=500),
        ],
    )
    # Rotated at noon: the morning's requests and one of the day before (not counted).
    write_log(
        tmp_path / "access.log.1",
        [
            request_line(start - timedelta(hours=1), status=500),
            request_line(at, status=200, duration_ms=80),
            request_line(at + timedelta(minutes=1), status=404),
            request_line(at + timedelta(minutes=2), status=403, duration_ms=2001),
            request_line(at + timedelta(minutes=3), status=302, duration_ms=2000),
        ],
    )
    with (tmp_path / "access.log.1").open("a") as fh:
        fh.write("not json\n")
    noon = (start + timedelta(hours=12)).timestamp()
    os.utime(tmp_path / "access.log.1", (noon, noon))
    # Rotated long before the day: never read (its lines would count if it were).
    write_log(
        tmp_path / "access.log.2",
        [request_line(at, status=500)] * 5,
        mtime=start - timedelta(days=3),
    )
    stats = checks_logs.read_access_log(start, end, folder=tmp_path, slow_ms=2000)
    assert stats.files == ["access.log.1", "access.log"]
    assert (stats.requests, stats.status_4xx, stats.status_5xx, stats.slow, stats.failed) == (
        7,
        2,
        2,
        2,
        1,
    )
    assert stats.unreadable_lines == 1
    found = {f.code: f for f in checks_logs.check_logs(stats, checks_logs.LoginStats())}
    assert found["status_5xx"].value == pytest.approx(28.57)
    assert found["status_5xx"].status == "异常"
    assert found["requests"].value == 7


def test_missing_access_log_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    now = timezone.now()
    stats = checks_logs.read_access_log(now - timedelta(days=1), now, folder=tmp_path / "none")
    assert stats.found is False
    finding = checks_logs.check_logs(stats, checks_logs.LoginStats())[0]
    assert (finding.code, finding.status, finding.value) == ("access_log", "警告", "未找到")


def test_logins_failures_lockouts_and_unusual_hours_from_the_audit_chain() -> None:
    user = make_staff(Role.OPERATOR)
    hour = timezone.localtime().hour
    # The unusual hours made the current one; a value equal to the parameter's own (e.g. the
    # default end, 6, when the test runs at 5 o'clock) is refused as no change, so it is left.
    for key, value in (
        ("inspect_unusual_login_start_hour", hour),
        ("inspect_unusual_login_end_hour", hour + 1),
    ):
        if parameters.get(key) != value:
            parameters.set_parameter(actor=None, key=key, value=str(value), reason="测试")
    for action in [
        "account.login",
        "account.login",
        "account.login_failed",
        "account.login_failed",
        "account.login_failed",
        "account.locked_out",
    ]:
        record_event(actor=user, action=action, target=user)
    now = timezone.now()
    stats = checks_logs.read_logins(now - timedelta(hours=1), now + timedelta(seconds=1))
    assert stats == checks_logs.LoginStats(logins=2, failures=3, lockouts=1, unusual_hours=2)
    before = checks_logs.read_logins(now - timedelta(days=2), now - timedelta(days=1))
    assert before == checks_logs.LoginStats()


# ---- the whole run ----------------------------------------------------------------------------


def test_command_runs_for_real_and_prints_the_json_last_line(tmp_path: Path, settings: Any) -> None:
    settings.LOG_DIR = tmp_path
    day = timezone.localdate() - timedelta(days=1)
    at = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=10)
    write_log(
        tmp_path / "access.log",
        [request_line(at + timedelta(minutes=k)) for k in range(5)]
        + [request_line(at, status=404)],
    )
    out = StringIO()
    call_command("inspect", "--date", day.isoformat(), stdout=out)
    lines = out.getvalue().strip().splitlines()
    last = json.loads(lines[-1])
    inspection = Inspection.objects.get()
    assert set(last) == {"id", "kind", "status", "counts", "alerts"}
    assert last["id"] == inspection.pk and last["kind"] == "daily"
    assert last["status"] == inspection.status == "异常"  # no backup was ever made
    assert last["counts"] == {
        s: sum(1 for f in inspection.findings if f["status"] == s) for s in ("正常", "警告", "异常")
    }
    assert last["alerts"] == last["counts"]["警告"] + last["counts"]["异常"]
    assert any(line.startswith("[异常] 备份与审计 · 最近一次备份距今") for line in lines)
    summary = inspection.summary
    assert summary["requests"] == 6 and summary["errors_5xx"] == 0
    assert summary["day"] == day.isoformat()
    for key in ("database_bytes", "disk_used_percent", "disk_used_bytes", "login_failures"):
        assert isinstance(summary[key], int | float), key
    assert inspection.period_start == datetime.combine(day, datetime.min.time(), tzinfo=TZ)
    assert {f["group"] for f in inspection.findings} == {
        "操作系统",
        "数据库",
        "应用日志",
        "备份与审计",
    }


def test_command_refuses_a_bad_date() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date 应为 YYYY-MM-DD"):
        call_command("inspect", "--date", "2026-13-01", stdout=StringIO())
    assert not Inspection.objects.exists()


def test_crossed_threshold_raises_an_alert_that_opens_an_incident() -> None:
    first = run_daily(inputs=_inputs(os=_os(disk=93.0)))
    assert first.status == "异常"
    alert = Alert.objects.get()
    assert (alert.source, alert.code, alert.level) == ("inspection", "inspect_disk", "critical")
    assert "磁盘使用率（数据目录）异常：93.0%" in alert.message
    assert alert.details["inspection"] == first.pk
    incident = alert.incident
    assert incident.severity == Incident.Severity.SERIOUS
    assert incident.status == Incident.Status.OPEN
    # Seen again the next day: the same incident, not a new one.
    run_daily(inputs=_inputs(os=_os(disk=94.0)))
    assert Incident.objects.count() == 1 and Alert.objects.count() == 2
    # A normal day raises nothing.
    normal = run_daily(inputs=_inputs())
    assert normal.status == "正常" and Alert.objects.count() == 2
    assert normal.summary["alerts_raised"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics views")
@pytest.mark.django_db(transaction=True)
def test_postgresql_statistics_find_a_long_transaction_of_another_connection() -> None:
    import time

    import psycopg

    parameters.set_parameter(
        actor=None, key="inspect_long_transaction_minutes", value="0", reason="测试"
    )
    s = connection.settings_dict
    other = psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        host=s["HOST"],
        port=s["PORT"] or 5432,
        password=s["PASSWORD"] or None,
    )
    try:
        other.execute("SELECT count(*) FROM ops_inspection")  # opens the transaction
        time.sleep(0.3)
        m = checks_db.measure_db()
        assert m.vendor == "postgresql" and m.size_bytes > 1_000_000
        assert len(m.long_transactions) >= 1
        assert m.connections >= 2 and sum(m.connections_by_state.values()) == m.connections
        assert "idle in transaction" in m.connections_by_state
        found = {f.code: f for f in checks_db.check_db(m)}
        assert found["db_long_transactions"].status == "警告"
        assert found["db_long_transactions"].value == len(m.long_transactions)
    finally:
        other.rollback()
        other.close()
    after = checks_db.measure_db()
    assert after.long_transactions == []


# ---- weekly and monthly ---------------------------------------------------------------------


def _day_at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def test_monthly_summary_from_the_dailies() -> None:
    days = [date(2026, 9, d) for d in range(1, 31) if d != 17]  # 29 of 30 days
    for n, day in enumerate(days):
        disk = 40.0 + n * 0.2
        os_m = _os(disk=95.0 if day.day == 12 else disk)
        db = checks_db.DbMeasurements(vendor="sqlite", size_bytes=(100 + n) * 2**20, page_count=100)
        run_daily(day=day, inputs=_inputs(os=os_m, db=db), now=_day_at(day))
    # One day inspected twice: the later report counts.
    run_daily(
        day=date(2026, 9, 30), inputs=_inputs(os=_os(disk=81.0)), now=_day_at(date(2026, 9, 30), 16)
    )
    # A daily of another month is not counted.
    run_daily(
        day=date(2026, 10, 1), inputs=_inputs(os=_os(disk=99.0)), now=_day_at(date(2026, 10, 1))
    )
    monthly = run_monthly(month=date(2026, 9, 1), now=_day_at(date(2026, 10, 1), 9, 0))
    s = monthly.summary
    assert s["month"] == "2026-09"
    assert (s["days_expected"], s["days_inspected"], s["days_missing"]) == (30, 29, ["2026-09-17"])
    assert s["statuses"] == {"正常": 27, "警告": 1, "异常": 1}
    assert len(s["trend"]) == 29 and s["trend"][0]["database_bytes"] == 100 * 2**20
    assert s["trend"][-1] == {
        "day": "2026-09-30",
        "database_bytes": 5 * 2**20,
        "disk_used_percent": 81.0,
        "disk_used_bytes": int(81.0 * 2**30),
    }
    assert s["alerts"] == 2 and s["incidents"] == 1  # disk 95 on the 12th, 81 on the 30th
    disk = next(f for f in monthly.findings if f["code"] == "disk")
    assert (disk["value"], disk["status"]) == (95.0, "异常")
    assert "2026-09-12" in disk["note"] and "警告 1 天" in disk["note"]
    head = monthly.findings[0]
    assert head["status"] == "警告" and "缺 1 天：2026-09-17" in head["note"]
    assert monthly.status == "异常"
    assert Alert.objects.count() == 3  # the summary raises none of its own


def test_weekly_check_software_versions_and_disk_growth() -> None:
    monday = date(2026, 11, 16)
    for k in range(7):
        day = monday - timedelta(days=6 - k)
        run_daily(day=day, inputs=_inputs(os=_os(disk=40.0 + k)), now=_day_at(day), alert=False)
    weekly = run_weekly(day=monday, now=_day_at(monday, 8, 0))
    found = {f["code"]: f for f in weekly.findings}
    import django

    assert found["django"]["value"] == django.get_version()
    assert found["migrations"]["value"] == 0 and found["migrations"]["status"] == "正常"
    assert (found["disk_growth"]["value"], found["disk_growth"]["status"]) == (6.0, "警告")
    assert found["week_dailies"]["value"] == "正常 7 天，警告 0 天，异常 0 天"
    assert found["week_dailies"]["status"] == "正常"
    assert weekly.summary["disk_growth_points"] == 6.0
    assert Alert.objects.filter(code="inspect_weekly_disk_growth").exists()


# ---- exports and pages ------------------------------------------------------------------------


def test_pdf_holds_the_chinese_report_and_xlsx_the_findings() -> None:
    inspection = run_daily(inputs=_inputs(os=_os(disk=85.5)), alert=False)
    text = pdf_text(exports.to_pdf(inspection))
    assert "日常巡检报告" in text and "磁盘使用率（数据目录）" in text and "85.5%" in text
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(inspection)))
    sheet = book["巡检结果"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=5)]
    assert len(rows) == len(inspection.findings)
    disk = next(r for r in rows if r[1] == "磁盘使用率（数据目录）")
    assert disk[:6] == [
        "操作系统",
        "磁盘使用率（数据目录）",
        85.5,
        "%",
        "≥ 80% 警告；≥ 90% 异常",
        "警告",
    ]
    assert sheet["A2"].value == "结论：警告"


def test_console_list_detail_downloads_and_run_now(tmp_path: Path, settings: Any) -> None:
    settings.LOG_DIR = tmp_path
    warned = run_daily(
        inputs=_inputs(os=_os(disk=85.0)), alert=False, now=_day_at(date(2026, 10, 5))
    )
    run_monthly(month=date(2026, 10, 1), now=_day_at(date(2026, 11, 1), 9, 0))
    operator = staff_client(make_staff(Role.OPERATOR))
    page = operator.get("/ops/inspections/").content.decode()
    assert "日常巡检" in page and 'class="badge badge-pending">警告' in page
    only_monthly = operator.get("/ops/inspections/?kind=monthly").content.decode()
    assert only_monthly.count('data-status="') == 1 and "月度巡检汇总" in only_monthly
    none = operator.get("/ops/inspections/?month=2025-01").content.decode()
    assert "没有符合条件的巡检报告。" in none
    bad = operator.get("/ops/inspections/?month=abc").content.decode()
    assert "月份应为 YYYY-MM 格式，收到“abc”。" in bad and 'value="abc"' in bad
    detail = operator.get(f"/ops/inspections/{warned.pk}/").content.decode()
    assert 'class="finding-警告"' in detail and "磁盘使用率（数据目录）" in detail
    assert "<dt>数据库大小</dt><dd>5.0 MB</dd>" in detail
    pdf = operator.get(f"/ops/inspections/{warned.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = operator.get(f"/ops/inspections/{warned.pk}.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content))["巡检结果"]["A2"].value == "结论：警告"
    response = operator.post("/ops/inspections/run/", {"kind": "daily"}, follow=True)
    latest = Inspection.objects.filter(kind="daily").order_by("-created").first()
    assert latest.pk != warned.pk and latest.actor is not None
    assert f"已完成日常巡检：结论{latest.status}" in response.content.decode()
    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get(f"/ops/inspections/{warned.pk}/").status_code == 200
    assert auditor.post("/ops/inspections/run/", {"kind": "daily"}).status_code == 403
    reviewer = staff_client(make_staff(Role.REVIEWER, department="tax"))
    assert reviewer.get("/ops/inspections/").status_code == 403


def test_inspection_jobs_are_scheduled() -> None:
    out = StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    text = out.getvalue()
    assert "inspection_daily\t30 7 * * *\t" in text
    assert "inspection_weekly\t0 8 * * 1\t" in text
    assert "inspection_monthly\t0 9 1 * *\t" in text


def test_demo_inspections_are_made_by_the_real_code_quickly() -> None:
    import time

    from jifen.demo import ops_inspections

    operator = make_staff(Role.OPERATOR)
    said: list[str] = []
    began = time.monotonic()
    ops_inspections.load(operator=operator, now=_day_at(date(2026, 12, 3), 10), say=said.append)
    assert time.monotonic() - began < 5
    dailies = Inspection.objects.filter(kind="daily")
    assert dailies.count() == 30  # November 2026
    statuses = sorted(d.status for d in dailies)
    assert statuses.count("警告") == 2 and statuses.count("异常") == 1
    abnormal = dailies.get(status="异常")
    assert abnormal.summary["day"] == "2026-11-15"
    alert = Alert.objects.get(code="inspect_status_5xx")
    assert alert.incident is not None and alert.incident.severity == Incident.Severity.SERIOUS
    assert Inspection.objects.filter(kind="weekly").count() == 4
    monthly = Inspection.objects.get(kind="monthly")
    assert monthly.summary["days_inspected"] == 30 and monthly.summary["days_missing"] == []
    assert monthly.summary["statuses"] == {"正常": 27, "警告": 2, "异常": 1}
    assert said == ["  inspections: 30 daily, 4 weekly, the monthly summary of 2026-11"]


def test_the_daily_job_runs_through_the_scheduler(tmp_path: Path, settings: Any) -> None:
    settings.LOG_DIR = tmp_path
    out = StringIO()
    call_command("run_scheduler", "--run", "inspection_daily", stdout=out)
    outcome = json.loads(out.getvalue().strip().splitlines()[-1])
    inspection = Inspection.objects.get()
    assert outcome["ok"] is True
    assert outcome["output"].startswith(
        f"巡检报告 #{inspection.pk}（日常巡检）：{inspection.status}；"
    )


def _certificate(path: Path, days: int) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jifen.example")])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=300))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize(("days", "status"), [(90, "正常"), (20, "警告"), (-1, "异常")])
def test_weekly_certificate_expiry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days: int, status: str
) -> None:
    from jifen.ops.inspection.service import certificate_finding

    pem = tmp_path / "server.pem"
    _certificate(pem, days)
    monkeypatch.setenv("JIFEN_TLS_CERT", str(pem))
    finding = certificate_finding(timezone.now())
    assert finding.status == status
    assert finding.value == pytest.approx(days, abs=0.1)
    monkeypatch.setenv("JIFEN_TLS_CERT", str(tmp_path / "missing.pem"))
    assert certificate_finding(timezone.now()).status == "异常"
    monkeypatch.delenv("JIFEN_TLS_CERT")
    none = certificate_finding(timezone.now())
    assert (none.status, none.value) == ("正常", None) and "反向代理" in none.note


def test_a_missing_backup_states_the_same_rule_as_an_old_one() -> None:
    none = checks_backup.check_backups(
        checks_backup.BackupMeasurements(None, None, None, None, None)
    )
    old = checks_backup.check_backups(checks_backup.BackupMeasurements(60, 100, True, 30, True))
    assert (
        [f.threshold for f in none if f.code.endswith("_age")]
        == [f.threshold for f in old if f.code.endswith("_age")]
        == ["≥ 26 小时 警告；≥ 50 小时 异常", "≥ 92 天 警告", "≥ 26 小时 警告"]
    )
    assert [f.note for f in none] == ["尚无成功的备份", "尚未演练", "尚未校验"]
