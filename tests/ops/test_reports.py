"""Operations reports (运维报告): each section's figures from records created here, with exact
expected values; the PDF's Chinese text, the XLSX's sheets and values, the command's JSON
last line, the page's permissions and downloads, the scheduled job."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from jifen.audit.models import AuditEvent
from jifen.core.errors import ServiceError
from jifen.core.roles import Role
from jifen.ops import parameters
from jifen.ops.models import (
    Alert,
    Backup,
    Complaint,
    ConfigChange,
    ConfigItem,
    HealthProbe,
    Incident,
    Inspection,
    OpsReport,
    RecoveryDrill,
    ServiceVisit,
    TrainingSession,
)
from jifen.ops.reports import render
from jifen.ops.reports.collect import collect
from jifen.ops.reports.period import BEIJING, last_complete, parse
from jifen.ops.reports.services import generate_report
from tests.factories import make_staff, staff_client
from tests.publication.pdftext import pdf_text

pytestmark = pytest.mark.django_db

Q3 = parse("quarter", "2026Q3")
SEP = parse("month", "2026-09")


def bj(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BEIJING)


_serial = iter(range(1, 10_000))


def complaint(received: datetime, *, answered: datetime | None = None, **kw: Any) -> Complaint:
    n = next(_serial)
    return Complaint.objects.create(
        number=f"TS-{n:05d}",
        channel=kw.pop("channel", Complaint.Channel.PHONE),
        received_at=received,
        complainant="测试人",
        subject="事由",
        content="内容",
        due_at=kw.pop("due_at", received + timedelta(days=3)),
        answered_at=answered,
        status=Complaint.Status.ANSWERED if answered else Complaint.Status.OPEN,
        **kw,
    )


def incident(reported: datetime, **kw: Any) -> Incident:
    n = next(_serial)
    return Incident.objects.create(
        number=f"GZ-2026-{n:04d}",
        title=kw.pop("title", f"故障{n}"),
        channel=kw.pop("channel", Incident.Channel.PHONE),
        symptom="现象",
        reported_at=reported,
        **kw,
    )


def daily(day: date, *, status: str = "正常", hour: int = 2, **summary: Any) -> Inspection:
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)
    return Inspection.objects.create(
        kind=Inspection.Kind.DAILY,
        period_start=start,
        period_end=start + timedelta(days=1),
        created=datetime.combine(day, datetime.min.time(), tzinfo=BEIJING) + timedelta(hours=hour),
        status=status,
        summary=summary,
        findings=summary.pop("findings", []) if "findings" in summary else [],
    )


# ---- periods ------------------------------------------------------------------------------


def test_quarter_boundaries_are_beijing_midnight() -> None:
    q4 = parse("quarter", "2026q4")
    assert q4.label == "2026Q4" and (q4.first_day, q4.last_day) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert q4.start == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert q4.end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    # 2026-09-30 23:59 Beijing is Q3; 2026-10-01 00:00 Beijing (16:00 UTC the day before) is Q4.
    complaint(datetime(2026, 9, 30, 15, 59, tzinfo=UTC), answered=bj(2026, 10, 2))
    complaint(datetime(2026, 9, 30, 16, 0, tzinfo=UTC), answered=bj(2026, 10, 2))
    complaint(datetime(2026, 9, 30, 16, 0, tzinfo=UTC), answered=bj(2026, 10, 2))
    now = bj(2027, 1, 5)
    assert collect(Q3, now=now)["complaints"]["received"] == 1
    assert collect(q4, now=now)["complaints"]["received"] == 2
    assert parse("month", "2026-2").last_day == date(2026, 2, 28)
    assert parse("year", "2026").title == "北京市积分落户管理信息系统2026年度运维报告"
    assert q4.title == "北京市积分落户管理信息系统2026年第4季度运维报告"


@pytest.mark.parametrize(
    ("kind", "text", "field", "message"),
    [
        ("quarter", "2026Q5", "period", "季度报告的期间格式应如“2026Q4”，收到“2026Q5”"),
        ("month", "2026-13", "period", "月份应为 1—12"),
        ("year", "26", "period", "年度报告的期间格式应如“2026”"),
        ("week", "2026", "kind", "报告类型应为月度、季度或年度"),
    ],
)
def test_bad_periods_are_refused_naming_the_field(
    kind: str, text: str, field: str, message: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        parse(kind, text)
    assert message in caught.value.message and caught.value.errors[0].field == field


def test_last_complete_period_in_beijing_time() -> None:
    # 2026-10-01 01:00 Beijing is still 2026-09-30 in UTC: Q3 is complete.
    now = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert last_complete("quarter", now).label == "2026Q3"
    assert last_complete("month", now).label == "2026-09"
    assert last_complete("quarter", bj(2026, 2, 10)).label == "2025Q4"
    assert last_complete("year", bj(2026, 2, 10)).label == "2025"


# ---- availability ---------------------------------------------------------------------------


def _probes(start: datetime, count: int, down: set[int]) -> None:
    HealthProbe.objects.bulk_create(
        HealthProbe(at=start + timedelta(minutes=k), ok=k not in down) for k in range(count)
    )


def test_availability_on_the_target_boundary_is_met() -> None:
    _probes(bj(2026, 9, 1), 1000, {10, 11, 12, 500, 999})  # 5 of 1000 down: 99.5%
    a = collect(Q3, now=bj(2026, 10, 2))["availability"]
    assert (a["probes"], a["up"], a["percent"], a["target"], a["met"]) == (
        1000,
        995,
        99.5,
        99.5,
        True,
    )
    assert [(m["month"], m["probes"], m["up"]) for m in a["by_month"]] == [
        ("2026-07", 0, 0),
        ("2026-08", 0, 0),
        ("2026-09", 1000, 995),
    ]
    assert a["by_month"][0]["percent"] is None
    # Three outages: 10–12 (back at 13), 500 (back at 501), 999 (not back within the period).
    assert [
        (o["start"], o["end"], o["probes"], o["minutes"], o["recovered"]) for o in a["outages"]
    ] == [
        ("2026-09-01 00:10", "2026-09-01 00:13", 3, 3.0, True),
        ("2026-09-01 08:20", "2026-09-01 08:21", 1, 1.0, True),
        ("2026-09-01 16:39", "2026-09-01 16:39", 1, 0.0, False),
    ]


def test_availability_below_the_target_is_not_met() -> None:
    _probes(bj(2026, 9, 1), 1000, {1, 2, 3, 4, 5, 6})  # 99.4%
    a = collect(Q3, now=bj(2026, 10, 2))["availability"]
    assert a["percent"] == pytest.approx(99.4) and a["met"] is False
    row = next(r for r in collect(Q3, now=bj(2026, 10, 2))["sla"] if r["key"] == "availability")
    assert (row["measured"], row["met"]) == ("99.40%", False)


def test_availability_target_is_a_parameter() -> None:
    _probes(bj(2026, 9, 1), 1000, {1, 2, 3, 4, 5, 6})
    parameters.set_parameter(
        actor=None, key="sla_availability_percent", value="99.4", reason="新合同"
    )
    assert collect(Q3, now=bj(2026, 10, 2))["availability"]["met"] is True


# ---- complaints -----------------------------------------------------------------------------


def test_complaint_reply_rate_on_time_overdue_and_escalations() -> None:
    received = bj(2026, 9, 7, 9)
    due = bj(2026, 9, 10, 9)
    complaint(received, due_at=due, answered=due)  # on the due minute: on time
    complaint(received, due_at=due, answered=bj(2026, 9, 8), channel=Complaint.Channel.EMAIL)
    complaint(received, due_at=due, answered=due + timedelta(minutes=1), escalation=1)
    complaint(received, due_at=due, escalation=2)  # never answered, overdue
    complaint(bj(2026, 9, 30, 19), due_at=bj(2026, 10, 9, 19))  # open, not yet due at 10-01
    c = collect(Q3, now=bj(2026, 10, 1, 8))["complaints"]
    assert (c["received"], c["answered"], c["answered_on_time"], c["answered_late"]) == (5, 3, 2, 1)
    assert (c["open"], c["overdue"], c["pending"]) == (2, 1, 1)
    assert c["reply_rate"] == 60.0 and c["reply_met"] is False  # target 100%
    assert c["on_time_rate"] == 50.0  # 2 of the 4 that were due
    assert (c["escalated"], c["escalated_management"]) == (2, 1)
    assert {x["key"]: x["count"] for x in c["by_channel"]}["email"] == 1


def test_all_complaints_answered_meets_the_reply_target() -> None:
    complaint(bj(2026, 8, 3, 10), answered=bj(2026, 8, 4, 10))
    c = collect(Q3, now=bj(2026, 10, 2))["complaints"]
    assert (c["reply_rate"], c["reply_met"], c["on_time_rate"]) == (100.0, True, 100.0)


# ---- incidents ------------------------------------------------------------------------------


def test_incident_response_and_resolution_against_the_sla_boundaries() -> None:
    t = bj(2026, 8, 10, 9)
    exact = incident(t, responded_at=t + timedelta(minutes=30), completed_at=t + timedelta(hours=8))
    incident(
        t,
        responded_at=t + timedelta(minutes=31),
        completed_at=t + timedelta(hours=8, minutes=1),
        channel=Incident.Channel.MONITORING,
    )
    major = incident(
        t,
        severity=Incident.Severity.MAJOR,
        title="数据库主机宕机",
        responded_at=t + timedelta(minutes=5),
        emergency_plan_started_at=t + timedelta(minutes=20),
        escalation_reason="系统中断超过 60 分钟",
    )
    Alert.objects.create(
        source="inspection",
        code="disk",
        level="critical",
        message="磁盘",
        raised_at=t,
        incident=major,
    )
    i = collect(Q3, now=bj(2026, 10, 2))["incidents"]
    assert i["total"] == 3
    assert {x["key"]: x["count"] for x in i["by_severity"]} == {
        "minor": 2,
        "serious": 0,
        "major": 1,
    }
    assert {x["key"]: x["count"] for x in i["by_channel"]}["monitoring"] == 1
    assert {x["label"]: x["count"] for x in i["by_kind"]} == {"人工报告": 2, "巡检发现": 1}
    assert (i["response_due"], i["response_within"], i["response_met"]) == (3, 2, False)
    assert i["response_rate"] == pytest.approx(200 / 3)
    assert i["response_mean_minutes"] == 22.0  # (30 + 31 + 5) / 3
    # Resolution: the two minor ones (8 h exactly: met; 8 h 1 min: not); the major one is open.
    assert (i["resolve_due"], i["resolve_within"], i["resolve_rate"]) == (2, 1, 50.0)
    assert i["unresolved"] == 1
    assert [m["number"] for m in i["major"]] == [major.number]
    assert i["major"][0]["emergency_plan_started_at"] == "2026-08-10 09:20"
    exact.delete()
    Incident.objects.exclude(pk=major.pk).delete()
    i = collect(Q3, now=bj(2026, 10, 2))["incidents"]
    assert (i["response_met"], i["resolve_due"], i["resolve_met"]) == (True, 0, None)


def test_an_unanswered_incident_past_the_limit_counts_as_late() -> None:
    t = bj(2026, 9, 30, 23, 50)
    incident(t)
    i = collect(Q3, now=t + timedelta(minutes=20))["incidents"]
    assert (i["response_due"], i["response_rate"]) == (0, None)  # not yet due
    i = collect(Q3, now=bj(2026, 10, 2))["incidents"]
    assert (i["response_due"], i["response_within"], i["response_met"]) == (1, 0, False)


# ---- capacity -------------------------------------------------------------------------------


def test_capacity_trend_slope_and_projection() -> None:
    first = date(2026, 9, 1)
    for k in range(10):  # disk 50 %, 51 %, … one point a day; the database 1 GiB + 10 MiB a day
        daily(
            first + timedelta(days=k),
            disk_used_percent=50 + k,
            database_bytes=2**30 + k * 10 * 2**20,
            disk_used_bytes=100 * 2**30,
        )
    c = collect(Q3, now=bj(2026, 10, 2))["capacity"]
    assert len(c["points"]) == 10 and c["points"][0]["date"] == "2026-09-01"
    assert c["disk_trend"]["slope_per_day"] == pytest.approx(1.0)
    assert c["disk_trend"]["intercept"] == pytest.approx(50.0)
    assert c["database_trend"]["slope_per_day"] == pytest.approx(10 * 2**20)
    # 80 % (warning) after 30 days, 90 % (critical) after 40, counted from 2026-09-01.
    assert (c["warn_date"], c["critical_date"]) == ("2026-10-01", "2026-10-11")
    assert "预计 2026-10-01 达到告警阈值 80%" in c["projection"]


def test_capacity_flat_trend_never_reaches_the_threshold_and_one_point_has_no_trend() -> None:
    daily(date(2026, 9, 1), disk_used_percent=60)
    c = collect(Q3, now=bj(2026, 10, 2))["capacity"]
    assert c["disk_trend"] is None and "不足两天" in c["projection"]
    daily(date(2026, 9, 2), disk_used_percent=59)
    c = collect(Q3, now=bj(2026, 10, 2))["capacity"]
    assert c["disk_trend"]["slope_per_day"] == pytest.approx(-1.0)
    assert c["warn_date"] is None and "不会达到告警阈值" in c["projection"]


# ---- service, inspections, configuration, documents, work ----------------------------------


def test_service_visits_per_month_and_satisfaction_boundary() -> None:
    engineer = make_staff(Role.OPERATOR)
    ratings = [5, 5, 4, 4, 4, 5, 4, 5, 4, 2]  # 9 of 10 satisfied: 90 % = the target
    for k, rating in enumerate(ratings):
        ServiceVisit.objects.create(
            visited_on=date(2026, 8 if k < 4 else 9, 1 + k),
            place="东城区人力社保局",
            engineer=engineer,
            problem="核对申报信息",
            satisfaction=rating,
            signed_off_by="王科长" if k % 2 else "",
            signed_off_at=bj(2026, 9, 1) if k % 2 else None,
        )
    s = collect(Q3, now=bj(2026, 10, 2))["service"]
    assert (s["visits"], s["signed_off"], s["rated"]) == (10, 5, 10)
    assert s["satisfaction_mean"] == 4.2
    assert (s["satisfied_percent"], s["met"]) == (90.0, True)
    assert [(m["month"], m["visits"], m["satisfaction_mean"]) for m in s["by_month"]] == [
        ("2026-07", 0, None),
        ("2026-08", 4, 4.5),
        ("2026-09", 6, 4.0),
    ]
    assert {r["rating"]: r["count"] for r in s["by_rating"]} == {5: 4, 4: 5, 3: 0, 2: 1, 1: 0}


def test_inspection_summary_days_missing_and_statuses() -> None:
    for day in range(1, 31):
        if day in (10, 11):
            continue
        daily(
            date(2026, 9, day),
            status="警告" if day == 5 else "正常",
            findings=[
                {"group": "磁盘", "name": "磁盘使用率", "status": "警告" if day == 5 else "正常"}
            ],
        )
    Inspection.objects.create(
        kind=Inspection.Kind.WEEKLY,
        period_start=bj(2026, 9, 7),
        period_end=bj(2026, 9, 14),
        created=bj(2026, 9, 14, 3),
        status="正常",
    )
    i = collect(SEP, now=bj(2026, 10, 2))["inspections"]
    assert (i["days"], i["done"], i["missing"]) == (30, 28, ["2026-09-10", "2026-09-11"])
    assert i["completion_percent"] == pytest.approx(28 * 100 / 30) and i["met"] is False
    assert {s["status"]: s["count"] for s in i["by_status"]} == {"正常": 27, "警告": 1, "异常": 0}
    assert i["weekly"] == 1
    assert i["problems"] == [{"date": "2026-09-05", "status": "警告", "checks": ["磁盘使用率"]}]
    # In the middle of a month only the days so far are due.
    i = collect(parse("month", "2026-09"), now=bj(2026, 9, 3, 12))["inspections"]
    assert (i["days"], i["done"], i["missing"]) == (3, 3, [])


def test_configuration_documents_and_work_summary() -> None:
    operator = make_staff(Role.OPERATOR)
    server = ConfigItem.objects.create(kind="server", name="app-01", updated=bj(2026, 7, 1))
    ConfigItem.objects.create(
        kind="software", name="PostgreSQL", version="16", updated=bj(2026, 7, 1)
    )
    ConfigItem.objects.create(kind="software", name="旧系统", retired=True, updated=bj(2026, 7, 1))
    ConfigChange.objects.create(
        item=server,
        changed_at=bj(2026, 8, 2),
        field="内存",
        old_value="32G",
        new_value="64G",
        reason="扩容",
    )
    ConfigChange.objects.create(
        item=server, changed_at=bj(2026, 6, 2), field="磁盘", old_value="1T", new_value="2T"
    )
    parameters.set_parameter(
        actor=operator, key="inspect_disk_percent_warn", value="75", reason="收紧"
    )
    from jifen.ops.models import ParameterChange

    ParameterChange.objects.update(changed_at=bj(2026, 9, 3, 10))
    daily(date(2026, 9, 1))
    closed = incident(bj(2026, 9, 2), severity=Incident.Severity.MAJOR, title="网络中断")
    closed.closed_at = bj(2026, 9, 3)
    closed.status = Incident.Status.CLOSED
    closed.save()
    TrainingSession.objects.create(
        year=2026,
        title="积分核验培训",
        audience="区级工作人员",
        planned_on=date(2026, 9, 5),
        status=TrainingSession.Status.HELD,
        held_on=date(2026, 9, 6),
        attendees=35,
        material_name="核验操作手册.pdf",
    )
    Backup.objects.create(backup_id="b1", kind="full", engine="sqlite", created=bj(2026, 9, 6))
    Backup.objects.create(
        backup_id="b2", kind="incremental", engine="sqlite", created=bj(2026, 9, 7)
    )
    Backup.objects.create(
        backup_id="b3", kind="incremental", engine="sqlite", created=bj(2026, 9, 8), status="failed"
    )
    RecoveryDrill.objects.create(started=bj(2026, 9, 9), ok=True)
    data = collect(Q3, now=bj(2026, 10, 2))

    c = data["configuration"]
    assert (c["items_total"], c["retired"]) == (2, 1)
    assert {x["key"]: x["count"] for x in c["items_by_kind"]}["software"] == 1
    assert [(x["item"], x["field"], x["old"], x["new"]) for x in c["changes"]] == [
        ("app-01", "内存", "32G", "64G")
    ]
    assert [(x["label"], x["old"], x["new"], x["by"]) for x in c["parameter_changes"]] == [
        ("磁盘使用率告警阈值", 80, 75, operator.username)
    ]
    assert [(d["kind"], d["date"]) for d in data["documents"]] == [
        ("巡检报告", "2026-09-01"),
        ("故障处理报告", "2026-09-03"),
        ("重大故障专项报告", "2026-09-03"),
        ("培训材料", "2026-09-06"),
    ]
    assert data["documents"][3]["title"] == "核验操作手册.pdf（积分核验培训）"
    w = data["work"]
    assert (w["inspections_daily"], w["backups_full"], w["backups_incremental"]) == (1, 1, 1)
    assert (w["backups_failed"], w["drills"], w["drills_passed"]) == (1, 1, 1)
    assert (w["incidents"], w["incidents_closed"], w["training_held"]) == (1, 1, 1)
    assert (w["training_attendees"], w["config_changes"], w["parameter_changes"]) == (35, 1, 1)
    json.dumps(data)  # plain data throughout


def test_empty_period_says_no_records_in_every_section() -> None:
    data = collect(Q3, now=bj(2026, 10, 2))
    sections = render.sections(data)
    assert [s["title"] for s in sections] == list(render.SECTION_TITLES.values())
    assert [s["key"] for s in sections if s["empty"]] == [
        k for k in render.SECTION_TITLES if k != "sla"
    ]
    sla = {r["key"]: (r["measured"], r["met"]) for r in data["sla"]}
    assert sla["availability"] == ("本期无记录", None)
    assert sla["daily_inspection"] == ("0.00%", False)  # 92 days without an inspection
    month = render.sections(collect(SEP, now=bj(2026, 10, 2)))
    assert [s["heading"] for s in month] == [
        "一、工作概况",
        "二、巡检情况汇总",
        "三、容量分析",
        "四、可用性分析",
        "五、故障分析",
        "六、交付文档清单",
    ]


# ---- outputs --------------------------------------------------------------------------------


def _some_records() -> None:
    _probes(bj(2026, 9, 1), 200, {3})
    for k in range(5):
        daily(date(2026, 9, 1 + k), disk_used_percent=40 + k, database_bytes=2**30 + k * 2**20)
    complaint(bj(2026, 9, 7, 9), answered=bj(2026, 9, 8))
    item = ConfigItem.objects.create(kind="software", name="nginx", updated=bj(2026, 9, 1))
    ConfigChange.objects.create(
        item=item, changed_at=bj(2026, 9, 2), field="版本", new_value="=HYPERLINK(1)", reason="升级"
    )


def test_pdf_is_a_real_pdf_with_the_chinese_headings_and_figures() -> None:
    _some_records()
    from PIL import ImageFile

    made = generate_report(period=Q3, fmt="pdf", actor=None, via="command", now=bj(2026, 10, 2))
    assert made.content.startswith(b"%PDF-")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # WeasyPrint's import put back
    text = pdf_text(made.content)
    for heading in (
        "北京市积分落户管理信息系统2026年第3季度运维报告",
        "一、工作概况",
        "五、容量分析",
        "六、可用性分析",
        "八、服务水平（SLA）评价",
        "十、交付文档清单",
    ):
        assert heading in text
    assert "可用率 99.500%" in text  # 199 of 200 probes
    assert "每月可用率" in text  # the chart's title, drawn in SVG
    assert made.filename == "北京市积分落户管理信息系统2026年第3季度运维报告.pdf"


def test_xlsx_opens_with_its_sheets_values_and_native_charts() -> None:
    _some_records()
    made = generate_report(period=Q3, fmt="xlsx", actor=None, via="command", now=bj(2026, 10, 2))
    book = openpyxl.load_workbook(io.BytesIO(made.content))
    assert book.sheetnames == [
        "封面",
        "工作概况",
        "服务统计与分析",
        "意见反馈与投诉统计",
        "故障分析",
        "容量分析",
        "可用性分析",
        "配置状态",
        "服务水平(SLA)评价",
        "巡检情况汇总",
        "交付文档清单",
    ]
    assert book["封面"]["A1"].value == "北京市积分落户管理信息系统2026年第3季度运维报告"
    rows = [[c for c in r if c is not None] for r in book["可用性分析"].iter_rows(values_only=True)]
    assert ["2026-09", 200, 199, 99.5] in rows
    rows = [[c for c in r if c is not None] for r in book["容量分析"].iter_rows(values_only=True)]
    assert ["2026-09-03", 42, 1026, "—"] in rows
    assert book["服务统计与分析"]["A3"].value == "本期无记录"
    cells = [c for r in book["配置状态"].iter_rows(values_only=True) for c in r]
    assert "'=HYPERLINK(1)" in cells  # text, not a formula
    with zipfile.ZipFile(io.BytesIO(made.content)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3  # disk, database, availability (no visits: that sheet is empty)


def test_command_prints_json_and_records_the_report(tmp_path: Path) -> None:
    _some_records()
    out = StringIO()
    target = tmp_path / "q3.xlsx"
    call_command(
        "ops_report", "--quarter", "2026Q3", "--format", "xlsx", "--out", str(target), stdout=out
    )
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(last) == {"kind", "period", "path", "bytes", "sha256"}
    assert (last["kind"], last["period"], last["path"]) == ("quarter", "2026Q3", str(target))
    content = target.read_bytes()
    import hashlib

    assert last["bytes"] == len(content) and last["sha256"] == hashlib.sha256(content).hexdigest()
    record = OpsReport.objects.get()
    assert (record.kind, record.period, record.format, record.via, record.sha256) == (
        "quarter",
        "2026Q3",
        "xlsx",
        "command",
        last["sha256"],
    )
    event = AuditEvent.objects.get(action="ops.report_generate")
    assert event.target_id == str(record.pk)
    out = StringIO()
    call_command("ops_report", "--month", "2026-09", "--out", str(tmp_path / "m.pdf"), stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["period"] == "2026-09"
    out = StringIO()
    year_file = tmp_path / "y.xlsx"
    call_command(
        "ops_report", "--year", "2026", "--format", "xlsx", "--out", str(year_file), stdout=out
    )
    assert json.loads(out.getvalue().strip().splitlines()[-1])["kind"] == "year"
    book = openpyxl.load_workbook(year_file)
    assert book["封面"]["A1"].value == "北京市积分落户管理信息系统2026年度运维报告"
    with pytest.raises(CommandError, match="季度报告的期间格式应如"):
        call_command("ops_report", "--quarter", "2026-3")


def test_scheduled_monthly_report_writes_the_last_month(tmp_path: Path, settings: Any) -> None:
    settings.OPS_REPORT_DIR = tmp_path
    out = StringIO()
    call_command("run_scheduler", "--run", "report_monthly", stdout=out)
    outcome = json.loads(out.getvalue().strip().splitlines()[-1])
    assert outcome["ok"] is True
    record = OpsReport.objects.get()
    assert record.via == "schedule" and record.kind == "month" and record.generated_by is None
    assert Path(record.path).read_bytes().startswith(b"%PDF-")
    assert Path(record.path).parent == tmp_path


# ---- the page -------------------------------------------------------------------------------


def test_page_permissions_reviewer_refused_bureau_and_auditor_read() -> None:
    reviewer = staff_client(make_staff(Role.REVIEWER, department="tax"))
    assert reviewer.get("/ops/reports/").status_code == 403
    for role in (Role.BUREAU_ADMIN, Role.AUDITOR, Role.OPERATOR):
        page = staff_client(make_staff(role)).get("/ops/reports/?kind=quarter&period=2026Q3")
        assert page.status_code == 200
        html = page.content.decode()
        assert "北京市积分落户管理信息系统2026年第3季度运维报告" in html
        assert html.count("本期无记录") >= 9


def test_page_defaults_to_the_last_complete_quarter_and_previews_charts() -> None:
    _some_records()
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    html = client.get("/ops/reports/").content.decode()
    expected = last_complete("quarter", datetime.now(UTC))
    assert f'value="{expected.label}"' in html
    html = client.get("/ops/reports/?kind=quarter&period=2026Q3").content.decode()
    body = html[html.index('<section class="report-section') :]
    # Complaint channels, disk use, database size, availability, inspection statuses.
    assert body.count("<svg") == 5 and "每月可用率" in body and "<script" not in body


def test_bad_period_on_the_page_keeps_what_was_typed() -> None:
    client = staff_client(make_staff(Role.OPERATOR))
    page = client.get("/ops/reports/?kind=month&period=2026-13")
    assert page.status_code == 400
    html = page.content.decode()
    assert "月份应为 1—12" in html and 'value="2026-13"' in html


def test_download_from_the_page_is_recorded_and_audited() -> None:
    _some_records()
    bureau = make_staff(Role.BUREAU_ADMIN)
    client = staff_client(bureau)
    response = client.post(
        "/ops/reports/download/", {"kind": "quarter", "period": "2026Q3", "format": "pdf"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]
    record = OpsReport.objects.get()
    assert (record.generated_by, record.via, record.period) == (bureau, "console", "2026Q3")
    event = AuditEvent.objects.get(action="ops.report_download")
    assert event.target_id == str(record.pk)
    listing = client.get("/ops/reports/?kind=quarter&period=2026Q3").content.decode()
    assert record.sha256[:16] in listing and "管理台下载" in listing
    refused = client.post(
        "/ops/reports/download/", {"kind": "quarter", "period": "2026Q3", "format": "doc"}
    )
    assert refused.status_code == 400 and "报告格式应为 PDF 或 XLSX" in refused.content.decode()
    assert OpsReport.objects.count() == 1


def test_demo_records_the_last_month_and_its_quarter_once_when_there_are_records() -> None:
    from jifen.demo.ops_reports import load, report_url

    operator = make_staff(Role.OPERATOR)
    said: list[str] = []
    now = bj(2026, 10, 15)  # the demo's month is September: its report and 2026Q3's
    load(operator=operator, now=now, say=said.append)
    assert not OpsReport.objects.exists() and "no records for 2026-09" in said[0]
    assert "no records for 2026Q3" in said[1]
    _probes(bj(2026, 9, 1), 10, set())
    load(operator=operator, now=now, say=said.append)
    load(operator=operator, now=now, say=said.append)
    made = {(r.kind, r.period, r.format, r.via, r.generated_by) for r in OpsReport.objects.all()}
    assert made == {
        ("month", "2026-09", "xlsx", "demo", operator),
        ("quarter", "2026Q3", "xlsx", "demo", operator),
    }
    assert report_url(now) == "/ops/reports/?kind=quarter&period=2026Q3"
    # On the first of a quarter's second month the demo's quarter is the current one.
    assert report_url(bj(2026, 11, 30)) == "/ops/reports/?kind=quarter&period=2026Q4"
