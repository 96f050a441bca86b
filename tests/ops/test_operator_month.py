"""An operator's month in the console (issue 10, "Done when"): daily inspections, an incident
from the alert to its report, a complaint answered on time, a backup drill — then the quarterly
report, which must show that month as it happened.

The month is the previous calendar month (every record dated in it, as the scheduled jobs and
the operator would have made them); the report is the quarter that holds it, taken now.
"""

from __future__ import annotations

import html
import io
import random
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from jifen.core.roles import Role
from jifen.demo.ops_inspections import _inputs
from jifen.ops import complaints, incidents
from jifen.ops.inspection.service import run_daily
from jifen.ops.models import Alert, Backup, Incident, Inspection, RecoveryDrill
from jifen.ops.reports.collect import collect
from jifen.ops.reports.period import parse
from tests.factories import make_staff, staff_client

# transaction=True: the drill reads the database from outside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)
ON_SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _previous_month() -> tuple[date, date]:
    first_this = timezone.localdate().replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def test_an_operator_runs_a_month_and_takes_the_quarterly_report(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    first, last = _previous_month()
    bad_day = first + timedelta(days=14)  # the 15th: a burst of 5xx answers

    # 1. Daily inspections, every morning at 07:30 (the job's time), one day crossing a line.
    rng = random.Random(7)
    day, n = first, 0
    while day <= last:
        inputs = _inputs(rng, n, day)
        errors = inputs.logs.requests // 10 if day == bad_day else 0  # 10 %: 异常
        disk = replace(inputs.os.disks[0], percent=60.0)
        inputs = replace(
            inputs,
            logs=replace(inputs.logs, status_5xx=errors, slow=0),
            os=replace(inputs.os, disks=[disk], cpu_percent=20.0),
        )
        run_daily(inputs=inputs, now=_at(day, 7, 30))
        day, n = day + timedelta(days=1), n + 1
    dailies = Inspection.objects.filter(kind=Inspection.Kind.DAILY)
    assert dailies.count() == (last - first).days + 1
    assert list(dailies.exclude(status="正常").values_list("status", flat=True)) == ["异常"]

    # 2. The crossed line raised an alert that opened an incident; the operator handles it.
    alert = Alert.objects.get()
    ticket = alert.incident
    assert ticket.channel == Incident.Channel.MONITORING and "5xx" in ticket.title
    page = client.get("/ops/incidents/").content.decode()
    assert ticket.number in page
    opened = ticket.reported_at
    incidents.respond(actor=operator, incident_id=ticket.pk, at=opened + timedelta(minutes=12))
    incidents.record_analysis(
        actor=operator,
        incident_id=ticket.pk,
        at=opened + timedelta(minutes=40),
        analysis="前一日 21:00 发布后，申报接口的数据库连接池配置错误，部分请求返回 502。",
    )
    incidents.record_actions(
        actor=operator,
        incident_id=ticket.pk,
        at=opened + timedelta(hours=1),
        actions="回滚连接池配置，重启应用进程，复核错误率恢复正常。",
    )
    incidents.resolve(actor=operator, incident_id=ticket.pk, at=opened + timedelta(hours=2))
    incidents.close(actor=operator, incident_id=ticket.pk, at=opened + timedelta(hours=3))
    report = client.get(f"/ops/incidents/{ticket.number}/report.pdf")
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    assert len(pikepdf.open(io.BytesIO(report.content)).pages) >= 1

    # 3. A complaint on a working morning of the month, answered the next working day.
    received = _at(
        next(d for d in (first + timedelta(days=k) for k in range(7, 20)) if d.weekday() < 3), 10, 0
    )
    complaint = complaints.take_complaint(
        actor=operator,
        channel="phone",
        complainant="王小明",
        contact="13800000000",
        subject="申报页面打不开",
        content="上午十点起申报页面多次提示服务器错误。",
        received_at=received,
    )
    complaints.answer_complaint(
        actor=operator,
        complaint_id=complaint.pk,
        at=received + timedelta(days=1),
        answer="已查明为服务升级所致，已恢复，请重新提交。",
    )

    # 4. A full backup and a recovery drill from the console (on SQLite: the PostgreSQL
    # drill needs pgBackRest's stanza, which tests/ops/test_backups_postgres.py sets up).
    drill = None
    if ON_SQLITE:
        with override_settings(BACKUP_DIR=tmp_path / "backups"):
            with django_capture_on_commit_callbacks(execute=True):
                client.post("/ops/backups/take/", {"kind": "full"})
            with django_capture_on_commit_callbacks(execute=True):
                client.post("/ops/backups/drill/")
            drill = RecoveryDrill.objects.get()
            assert drill.ok, drill.failure
            page = client.get("/ops/backups/").content.decode()
            assert drill.backup.backup_id in page and "通过" in page
        # Dated in the month, as the drill on its last Saturday would have been.
        when = _at(last - timedelta(days=(last.weekday() - 5) % 7), 3, 30)
        Backup.objects.update(created=when, finished=when + timedelta(minutes=2))
        RecoveryDrill.objects.update(
            started=when + timedelta(minutes=5), finished=when + timedelta(minutes=7)
        )

    # 5. The quarterly report of the quarter that holds the month, from the console.
    quarter = f"{first.year}Q{(first.month - 1) // 3 + 1}"
    figures = collect(parse("quarter", quarter))
    work = figures["work"]
    assert work["inspections_daily"] == (last - first).days + 1
    assert work["alerts"] == 1 and work["incidents"] == 1 and work["incidents_closed"] == 1
    assert work["complaints"] == 1 and work["complaints_answered"] == 1
    assert figures["complaints"]["reply_rate"] == 100.0
    assert figures["complaints"]["answered_on_time"] == 1
    assert figures["incidents"]["response_within"] == 1
    by_status = {row["status"]: row["count"] for row in figures["inspections"]["by_status"]}
    assert by_status == {"正常": (last - first).days, "警告": 0, "异常": 1}
    if drill is not None:
        assert work["backups_full"] == 1
        assert work["drills"] == 1 and work["drills_passed"] == 1
    preview = client.get("/ops/reports/", {"kind": "quarter", "period": quarter})
    assert preview.status_code == 200
    text = _visible_text(preview.content.decode())
    assert "投诉 3 个工作日内答复 100% 100.00% 达标" in text
    assert "故障 30 分钟内响应 100% 100.00% 达标" in text
    assert "结论为“异常”的日常巡检 1" in text
    pdf = client.post(
        "/ops/reports/download/", {"kind": "quarter", "period": quarter, "format": "pdf"}
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
