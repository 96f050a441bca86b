"""The bureau takes the quarterly operations report in a real browser: from the staff home to
the reports page, a wrong period refused with what was typed kept, the preview with its
charts, the PDF download, and the download listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.ops.models import Complaint, HealthProbe, Incident, Inspection, OpsReport
from jifen.ops.reports.period import BEIJING
from tests.factories import make_staff

from .conftest import PageWatch


def _records() -> None:
    start = datetime(2026, 7, 1, tzinfo=BEIJING)
    HealthProbe.objects.bulk_create(
        HealthProbe(at=start + timedelta(hours=k), ok=k % 500 != 5) for k in range(24 * 92)
    )
    for k in range(92):
        day = date(2026, 7, 1) + timedelta(days=k)
        if k in (40, 41):
            continue
        created = datetime.combine(day, datetime.min.time(), tzinfo=BEIJING) + timedelta(hours=2)
        Inspection.objects.create(
            kind=Inspection.Kind.DAILY,
            period_start=created - timedelta(days=1, hours=2),
            period_end=created - timedelta(hours=2),
            created=created,
            status="警告" if k == 30 else "正常",
            summary={
                "disk_used_percent": round(52 + k * 0.21, 1),
                "database_bytes": 3 * 2**30 + k * 25 * 2**20,
                "disk_used_bytes": (210 + k) * 2**30,
            },
        )
    for k in range(6):
        at = start + timedelta(days=11 * k, hours=10)
        Complaint.objects.create(
            number=f"TS-2026-{k:04d}",
            channel=Complaint.Channel.PHONE,
            received_at=at,
            complainant="测试",
            subject="申报进度查询",
            content="内容",
            due_at=at + timedelta(days=3),
            answered_at=at + timedelta(days=1),
            status=Complaint.Status.ANSWERED,
        )
    for k, severity in enumerate(["minor", "minor", "serious", "minor"]):
        at = start + timedelta(days=20 * k, hours=9)
        Incident.objects.create(
            number=f"GZ-2026-{k + 1:04d}",
            title="页面响应缓慢",
            channel=Incident.Channel.MONITORING,
            severity=severity,
            symptom="现象",
            reported_at=at,
            responded_at=at + timedelta(minutes=12 + 5 * k),
            completed_at=at + timedelta(hours=3 + k),
            status=Incident.Status.CLOSED,
            closed_at=at + timedelta(hours=5 + k),
        )


def test_the_bureau_previews_and_downloads_the_quarterly_report(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    _records()
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-reports")
    login_as(page, bureau)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="运维报告").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("运维报告")
    expect(page.locator("#no-reports")).to_have_text("尚未生成报告。")

    page.get_by_role("textbox", name="报告期").fill("2026Q7")
    page.get_by_role("button", name="预览").click()
    expect(page.locator(".field-error")).to_contain_text(["季度报告的期间格式应如“2026Q4”"])
    expect(page.get_by_role("textbox", name="报告期")).to_have_value("2026Q7")

    page.get_by_role("textbox", name="报告期").fill("2026Q3")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#report-title")).to_have_text(
        "北京市积分落户管理信息系统2026年第3季度运维报告"
    )
    expect(page.locator("#section-availability")).to_contain_text("目标 99.5%，达标")
    expect(page.locator("#section-service .report-empty")).to_have_text("本期无记录")
    expect(page.locator("#section-capacity svg")).to_have_count(2)
    expect(page.locator("#section-sla")).to_contain_text("投诉答复率")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 PDF").click()
    download = download_info.value
    assert download.suggested_filename == "北京市积分落户管理信息系统2026年第3季度运维报告.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
    assert OpsReport.objects.get().generated_by == bureau

    page.goto(live_server.url + "/ops/reports/?kind=quarter&period=2026Q3")
    expect(page.locator("#generated-reports tbody tr")).to_have_count(1)
    expect(page.locator("#generated-reports")).to_contain_text("管理台下载")
    screenshot(page, "ops-reports")
    # Expected: the refused period (400, and the console's note of it) and the download's
    # navigation, which the browser aborts when it turns out to be a file.
    refused = f"400 {live_server.url}/ops/reports/?kind=quarter&period=2026Q7"
    aborted = f"net::ERR_ABORTED {live_server.url}/ops/reports/download/"
    assert record.bad_responses == [refused, aborted]
    assert [p for p in record.problems() if "400" not in p and aborted not in p] == []
