"""A reviewer's queue in a real browser: the select-all box and bulk confirmation, and a
correction typed in the value editor with rows added and removed by review.js (under the
Content-Security-Policy, nothing else fetched)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from jifen.applications.selectors import profile_of
from jifen.core.roles import Department
from jifen.review import records
from jifen.review.models import Decision, ItemState
from tests.factories import employer_submitted
from tests.review.queue_helpers import another_submitted, compare, item_of, reviewer

from .conftest import PageWatch


def test_a_reviewer_confirms_in_bulk_and_corrects_an_item(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
) -> None:
    first = employer_submitted()[2]
    second = another_submitted()
    for app in (first, second):
        item = item_of(app, "social_insurance")
        compare(item, records.declared("social_insurance", profile_of(app)), matched=True)
    employment = item_of(first, "employment")
    compare(employment, [{"from": "2008-07", "to": "2025-12", "district": "朝阳区"}],
            matched=False)
    login_as(page, reviewer(Department.SOCIAL_INSURANCE))
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/review/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("核验工作队列")
    all_box = page.locator("#select-all")
    expect(all_box).to_be_visible()  # shown by review.js
    all_box.check()
    expect(page.locator("input.bulk-item:checked")).to_have_count(2)
    page.get_by_role("button", name="批量确认").click()
    expect(page.get_by_role("status").first).to_contain_text("已确认 2 项比对一致的核验事项。")
    for app in (first, second):
        assert item_of(app, "social_insurance").state == ItemState.CONFIRMED

    page.get_by_role("link", name=f"办理 {first.number} 就业地").click()
    expect(page.locator("#recorded")).to_contain_text("朝阳区")
    expect(page.locator(".diff-only-declared")).to_contain_text("通州区")
    rows = page.locator("#value-rows tbody tr.value-row")
    expect(rows).to_have_count(4)  # the recorded row and three empty ones
    page.get_by_role("button", name="添加一行").click()
    expect(rows).to_have_count(5)
    new = rows.nth(4)
    new.get_by_label("起始年月").fill("2016-01")
    new.get_by_label("截止年月").fill("2025-12")
    new.get_by_label("所在区").select_option("通州区")
    first_row = rows.nth(0)
    first_row.get_by_label("截止年月").fill("2015-12")
    rows.nth(1).locator("input[type=checkbox]").click()  # removed at once
    expect(rows).to_have_count(4)
    page.locator("#id_correct-reason").fill("2016 年起在通州区单位缴费")
    page.get_by_role("button", name="更正").click()
    expect(page.locator("#item-state")).to_have_text("已更正")
    decision = Decision.objects.filter(item=employment).order_by("-id").first()
    assert decision.value == [
        {"from": "2008-07", "to": "2015-12", "district": "朝阳区"},
        {"from": "2016-01", "to": "2025-12", "district": "通州区"},
    ]
    assert record.problems() == []
