"""An operator reads the inspection reports in a real browser: the list with its status
badges and filters, a report with its crossed checks highlighted, and "run now"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.demo import ops_inspections
from jifen.ops.models import Inspection
from tests.factories import make_staff

from .conftest import PageWatch


def test_an_operator_reads_the_inspection_reports_and_runs_one(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.LOG_DIR = tmp_path  # no access log: a warning, not a crash
    operator = make_staff(Role.OPERATOR, username="ops-inspector")
    now = timezone.make_aware(datetime(2026, 12, 2, 10, 0))
    ops_inspections.load(operator=operator, now=now, say=lambda text: None)
    login_as(page, operator)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/ops/")
    page.get_by_role("link", name="日常巡检").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("日常巡检")
    rows = page.locator("#inspection-list tbody tr")
    expect(rows).to_have_count(31)  # a page: the monthly summary, the weeklies, the dailies
    expect(page.locator("#inspection-list tr[data-status='异常']")).not_to_have_count(0)

    # Only the dailies of November with a problem stand out by their badge.
    page.get_by_label("类型", exact=True).select_option("daily")
    page.get_by_label("月份", exact=True).fill("2026-11")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(30)
    expect(page.locator("#inspection-list .badge-refused")).to_have_count(1)
    expect(page.locator("#inspection-list .badge-pending")).to_have_count(2)
    screenshot(page, "ops-inspections")

    # The 异常 day: the 5xx check highlighted with its value and threshold.
    page.locator("#inspection-list tr[data-status='异常']").get_by_role(
        "link", name="查看报告"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("日常巡检报告")
    expect(page.locator("#inspection-status")).to_have_text("异常")
    crossed = page.locator("#findings tr[data-code='status_5xx']")
    expect(crossed).to_have_class("finding-异常")
    expect(crossed).to_contain_text("5xx 响应占比")
    expect(crossed).to_contain_text("≥ 1.0% 警告；≥ 5.0% 异常")
    expect(page.locator("#findings tr.finding-正常")).not_to_have_count(0)
    screenshot(page, "ops-inspection-detail")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # The monthly summary: each check's worst value of the month and the capacity trend.
    page.goto(live_server.url + "/ops/inspections/?kind=monthly")
    page.get_by_role("link", name="查看报告").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("月度巡检汇总报告")
    expect(page.locator("#findings tr[data-code='month_dailies']")).to_contain_text(
        "正常 27 天，警告 2 天，异常 1 天"
    )
    expect(page.locator("#findings tr[data-code='status_5xx']")).to_have_class("finding-异常")
    expect(page.locator("#trend tbody tr")).to_have_count(30)
    screenshot(page, "ops-inspection-monthly")

    # Run one now.
    page.goto(live_server.url + "/ops/inspections/")
    page.get_by_label("巡检类型").select_option("daily")
    page.get_by_role("button", name="立即巡检").click()
    expect(page.get_by_role("status").first).to_contain_text("已完成日常巡检：结论")
    latest = Inspection.objects.filter(kind="daily", actor=operator).get()
    expect(page.locator("#inspection-status")).to_have_text(latest.status)
    expect(page.locator("#findings tr[data-code='access_log']")).to_contain_text("未找到")
    # A download ends its navigation: Chromium reports that request as aborted, not a problem.
    assert [p for p in record.problems() if not p.endswith(".pdf")] == []
