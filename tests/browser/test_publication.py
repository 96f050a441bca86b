"""The public list (公示) and the objection form (异议) in a real browser: no login, search,
the downloads, an objection rejected then received, its look-up; screenshots checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.publication import services
from jifen.publication.models import Objection
from tests.factories import make_staff
from tests.publication.world import listed_round

from .conftest import PageWatch

pytestmark = pytest.mark.browser


def test_the_public_list_and_an_objection(
    live_server: Any,
    page: Page,
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    cache.clear()
    w = listed_round(n=4, admitted=3)
    services.publish(actor=make_staff(Role.BUREAU_ADMIN), round=w.round)
    base = live_server.url
    record = watch(page, base)

    page.goto(base + "/")
    page.get_by_role("link", name="2026年积分落户公示名单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("北京市2026年积分落户公示名单")
    table = page.locator("#gongshi-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").first).to_contain_text("王素芳")
    expect(table.locator("tbody tr").first).to_contain_text("110105********")
    expect(table.locator("thead")).to_contain_text("合法稳定就业")
    shot = screenshot(page, "gongshi-list")
    assert shot.stat().st_size > 10_000

    page.get_by_label("姓名或单位名称").fill("京东方")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#match-count")).to_have_text("查询到 1 人")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("李建国")

    with page.expect_download() as info:
        page.locator("#download-csv").click()
    assert info.value.suggested_filename == "2026-gongshi.csv"

    table.get_by_role("link", name="异议").click()
    expect(page.get_by_label("被异议人员的排名")).to_have_value("2")
    page.get_by_label("异议人姓名").fill("赵敏")
    page.get_by_label("联系电话（手机号码）").fill("1391234")
    page.get_by_label("异议事实和理由").fill("太短")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_text("请输入11位手机号码")).to_be_visible()
    expect(page.get_by_text("请写明异议的事实和理由，至少 10 个字")).to_be_visible()
    expect(page.get_by_label("异议人姓名")).to_have_value("赵敏")
    screenshot(page, "gongshi-objection-errors")

    page.get_by_label("联系电话（手机号码）").fill("13912345678")
    page.get_by_label("异议事实和理由").fill("该人员申报的住房情况与实际不符，请核查。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("异议已受理")
    receipt = Objection.objects.get().receipt_no
    expect(page.locator("#receipt-no")).to_have_text(receipt)
    screenshot(page, "gongshi-objection-received")

    page.get_by_role("link", name="查询办理情况").click()
    page.get_by_label("受理编号").fill(receipt)
    page.get_by_label("联系电话（手机号码）").fill("13912345678")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#objection-state")).to_have_text("已受理")
    # A download ends its navigation: Chromium reports that request as aborted, not a problem.
    assert [p for p in record.problems() if not p.endswith("/download/csv/")] == []


def test_the_bureau_publishes_answers_and_records_settlement(
    live_server: Any,
    new_page: Callable[..., Page],
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    cache.clear()
    w = listed_round(n=4, admitted=3)
    bureau = make_staff(Role.BUREAU_ADMIN)
    base = live_server.url
    page = new_page()
    login_as(page, bureau)
    record = watch(page, base)

    page.goto(base + "/staff/")
    page.locator("#publication-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年积分落户：公示、异议与落户")
    page.locator("#publish").click()
    expect(page.get_by_role("status")).to_contain_text("已公示 3 人（第 1 版）")
    expect(page.locator("#pub-rows")).to_contain_text("3 人")
    screenshot(page, "gongshi-manage")

    o = services.objection_file(
        year=2026,
        rank=1,
        name="赵敏",
        phone="13912345678",
        reason="该人员申报的住房情况与实际不符，请核查。",
        ip="1.1.1.1",
    )
    page.get_by_role("link", name="办理异议").click()
    page.get_by_role("link", name=o.receipt_no).click()
    expect(page.get_by_text("赵敏，13912345678")).to_be_visible()
    page.get_by_role("button", name="答复").click()
    expect(page.get_by_text("请填写答复内容及理由")).to_be_visible()
    page.get_by_label("答复内容及理由").fill("经核查，该人员住房情况属实，异议不成立。")
    page.get_by_role("button", name="答复").click()
    expect(page.locator("#objection-state")).to_have_text("已答复")
    screenshot(page, "gongshi-objection-answered")

    now = timezone.now()
    rnd = w.round
    rnd.settlement_opens, rnd.settlement_closes = now - timedelta(days=1), now + timedelta(days=9)
    rnd.save()
    page.goto(base + "/gongshi/manage/2026/settlement/")
    row = page.locator("#settlement-table tbody tr").nth(1)
    row.get_by_label("办理结果").select_option("given_up")
    row.get_by_label("放弃理由").fill("本人出国，放弃落户")
    row.get_by_role("button", name="记录").click()
    expect(page.locator("#count-given-up")).to_have_text("1")
    expect(page.locator("#count-admitted")).to_have_text("3")
    expect(page.locator("#count-pending")).to_have_text("2")
    expect(page.locator("#settlement-table")).to_contain_text("放弃落户：本人出国，放弃落户")
    screenshot(page, "gongshi-settlement")
    assert record.problems() == []
