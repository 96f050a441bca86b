"""Ad-hoc statistics and what-if in a browser: a bureau administrator asks a question (small
groups hidden), sees a refused question with what was typed, and runs a what-if."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.rounds.models import RankedResult
from tests.factories import make_staff
from tests.stats.adhoc_world import build

from .conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_question_then_a_whatif(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    w = build(24)
    ranked = RankedResult.objects.count()
    boss = make_staff(Role.BUREAU_ADMIN)
    login_as(page, boss)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="应急统计").click()
    expect(page.get_by_role("heading", name="应急统计", exact=True)).to_be_visible()
    page.locator("#group1").select_option(label="取得落户资格（当前积分评定）")
    page.get_by_label("第二分组字段（可选）").select_option(label="性别")
    page.locator("#measures").select_option(["count", "avg:total"])
    page.get_by_label("筛选字段1").select_option(label="申报年度")
    page.get_by_label("取值1").fill("2026")
    page.get_by_role("button", name="查询").click()
    table = page.locator("#answer")
    expect(table).to_contain_text("合计")
    expect(table.locator("tr", has_text="小计").first).to_contain_text("13")
    expect(table).to_contain_text("<10")
    screenshot(page, "stats-adhoc")

    # A refused question: the message names the field, what was typed stays.
    page.get_by_label("筛选字段2").select_option(label="总积分")
    page.get_by_label("筛选方式2").select_option(label="介于")
    page.get_by_label("取值2").fill("一百")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#question-error")).to_contain_text("「总积分」的取值须为数字，“一百”不是")
    expect(page.get_by_label("取值2")).to_have_value("一百")
    expect(page.get_by_label("取值1")).to_have_value("2026")
    expect(page.get_by_label("第二分组字段（可选）")).to_have_value("sex")

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="模拟测算").click()
    page.get_by_label("落户指标数").fill("5")
    page.get_by_label("调整一个积分参数（可选）").select_option(label="荣誉表彰：积分")
    page.get_by_label("参数的新取值").fill("10")
    page.get_by_role("button", name="测算").click()
    expect(page.locator("#whatif-description")).to_have_text(
        "荣誉表彰：积分由20调整为10（以beijing-2020为基础）；落户指标数由10调整为5"
    )
    expect(page.locator("#after-admitted")).to_have_text("5")
    expect(page.locator("#differences")).to_contain_text("荣誉表彰：20.00 → 10.00")
    screenshot(page, "stats-whatif")
    assert RankedResult.objects.count() == ranked
    assert RankedResult.objects.filter(run=w.run).count() == ranked
    # The refused question's page is a 422 (the browser logs it too); nothing else went wrong.
    refused = f"422 {live_server.url}/stats/adhoc/"
    assert record.bad_responses == [refused]
    assert [p for p in record.problems() if "422" not in p] == []
