"""The operator reads the monitoring page (系统监测) in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.demo import ops_monitoring
from jifen.ops.models import Backup
from tests.factories import make_staff

from .conftest import PageWatch


def test_the_operator_reads_health_probes_verifications_and_runs(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    operator = make_staff(Role.OPERATOR, username="ops-monitor")
    ops_monitoring.load(operator=operator, now=timezone.now(), say=lambda text: None)
    Backup.objects.create(backup_id="F-1", kind="full", engine="sqlite", created=timezone.now())
    login_as(page, operator)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/ops/")
    page.get_by_role("link", name="系统监测").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("系统监测")
    expect(page.locator("#ready-state")).to_have_text("可服务")
    expect(page.locator("#health-now tr[data-check='database']")).to_contain_text("正常")
    expect(page.locator("#health-now tr[data-check='backup']")).to_contain_text("正常")
    strip = page.locator("#probe-strip span")
    expect(strip).to_have_count(288)
    expect(page.locator("#availability")).to_contain_text("最长中断")
    expect(page.locator("#availability")).to_contain_text("1200 秒")
    expect(page.locator("#chain-verifications tbody tr").first).to_contain_text("完整")
    expect(page.locator("#scheduled-runs tbody tr")).to_have_count(50)
    # The month's one failure is older than the last 50 runs: listed on its own, highlighted.
    expect(page.locator("#failed-runs tr.row-failed")).to_have_count(1)
    expect(page.locator("#failed-runs")).to_contain_text("日志轮转与过期清理")
    expect(page.locator("#metrics-link")).to_have_attribute("href", "/metrics")
    screenshot(page, "ops-monitoring")
    assert record.problems() == []
