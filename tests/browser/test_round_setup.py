"""The bureau sets up a round in a real browser: a new round from the pre-filled form, an edit
refused without a reason (what was typed kept), the edit with a reason, and the change history
on the round's page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.rounds.models import Round, RoundChange
from tests.factories import make_staff

from .conftest import PageWatch


def test_the_bureau_creates_a_round_and_changes_it_with_a_reason(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-setup")
    login_as(page, bureau)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="年度设置").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("年度设置")
    page.get_by_role("link", name="新建年度").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建积分落户年度")
    page.get_by_label("申报年度").fill("2031")
    expect(page.get_by_label("落户指标数")).to_have_value("6000")  # the rule set's
    page.get_by_label("申报开始时间").fill("2031-05-01T09:00")
    page.get_by_label("申报截止时间").fill("2031-05-31T17:00")
    # The defaults were computed from today's declaration: the bureau moves the later phases.
    windows = {
        "注册与单位关联开始时间": "2031-05-01T09:00", "注册与单位关联截止时间": "2031-05-31T17:00",
        "单位审核开始时间": "2031-05-01T09:00", "单位审核截止时间": "2031-06-05T17:00",
        "部门核验开始时间": "2031-05-01T09:00", "部门核验截止时间": "2031-07-30T17:00",
        "复查申请开始时间": "2031-07-30T17:00", "复查申请截止时间": "2031-08-14T17:00",
        "积分评定开始时间": "2031-08-14T17:00", "积分评定截止时间": "2031-08-29T17:00",
        "公示开始时间": "2031-08-29T17:00", "公示截止时间": "2031-09-05T17:00",
        "落户办理开始时间": "2031-09-05T17:00", "落户办理截止时间": "2032-03-05T17:00",
    }
    for label, value in windows.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("税务").fill("8")
    page.get_by_role("button", name="创建年度").click()
    expect(page.get_by_role("status").first).to_contain_text("已创建 2031 年度积分落户")
    expect(page.locator("#phase-timeline tr[data-phase='scoring']")).to_contain_text(
        "2031-08-14 17:00"
    )
    expect(page.locator("#no-history")).to_have_text("尚无参数变更。")
    rnd = Round.objects.get(year=2031)
    assert rnd.verification_days == {"tax": 8}

    # An edit without a reason is refused; what was typed stays.
    page.get_by_role("link", name="变更年度参数").click()
    page.get_by_label("落户指标数").fill("6100")
    page.get_by_label("公示截止时间").fill("2031-09-08T17:00")
    page.get_by_role("button", name="保存变更").click()
    expect(page.locator(".field-error")).to_have_text(["请填写变更理由"])
    expect(page.get_by_label("落户指标数")).to_have_value("6100")
    expect(page.get_by_label("公示截止时间")).to_have_value("2031-09-08T17:00")
    assert not RoundChange.objects.exists()

    page.get_by_role("textbox", name="变更理由").fill("市政府批准增加落户指标，公示期延长三天")
    page.get_by_role("button", name="保存变更").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "已变更 2031 年度的落户指标数、公示截止时间"
    )
    history = page.locator("#round-history tbody tr")
    expect(history).to_have_count(2)
    expect(page.locator("#round-history tr[data-field='quota']")).to_contain_text("6000")
    expect(page.locator("#round-history tr[data-field='quota']")).to_contain_text("6100")
    expect(page.locator("#round-history tr[data-field='publication_closes']")).to_contain_text(
        "2031-09-05 17:00"
    )
    expect(history.first).to_contain_text("市政府批准增加落户指标，公示期延长三天")
    expect(page.locator("#round-quota")).to_have_text("6100")
    screenshot(page, "round-setup-history")
    assert record.problems() == []
