"""The message centre in a browser: the header's badge, the list, opening a message (on a
phone, where the header must still fit)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.inbox import services
from jifen.inbox.models import Category
from tests.browser.conftest import PageWatch
from tests.factories import make_applicant


def test_an_applicant_reads_a_message_on_a_phone(
    mobile_page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    applicant = make_applicant(name="欧阳晓梅")
    services.notify(recipient=applicant, subject="复查申请已受理",
                    body="我们将在15个工作日内答复。", category=Category.RECHECK)
    services.notify(
        recipient=applicant, subject="您的初核结果已公布",
        body="您的积分初核结果已公布。\n如对核验结果有异议，可在复查期内申请复查。",
        link="/my/", category=Category.RESULT,
    )
    login_as(mobile_page, applicant)
    record = watch(mobile_page, live_server.url)
    mobile_page.goto(live_server.url + "/")

    nav = mobile_page.get_by_role("navigation", name="账户")
    inbox = nav.get_by_role("link", name="站内消息（未读2条）")
    expect(inbox).to_be_visible()
    scroll, inner = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert (scroll, inner) == (390, 390)
    box = inbox.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390, box

    inbox.click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("站内消息")
    expect(mobile_page.locator("tr.message-unread")).to_have_count(2)
    screenshot(mobile_page, "messages-list-mobile")

    mobile_page.get_by_role("link", name="您的初核结果已公布").click()
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("您的初核结果已公布")
    expect(mobile_page.locator("#message-body")).to_have_text(
        "您的积分初核结果已公布。\n如对核验结果有异议，可在复查期内申请复查。", use_inner_text=True
    )
    expect(nav.get_by_role("link", name="站内消息（未读1条）")).to_be_visible()
    screenshot(mobile_page, "message-mobile")

    mobile_page.get_by_role("link", name="前往查看").click()
    mobile_page.wait_for_url(live_server.url + "/my/")
    mobile_page.goto(live_server.url + "/messages/")
    mobile_page.get_by_role("button", name="全部标为已读").click()
    expect(mobile_page.get_by_role("status")).to_have_text("已将 1 条消息标为已读。")
    expect(mobile_page.locator("tr.message-unread")).to_have_count(0)
    expect(nav.get_by_role("link", name="站内消息", exact=True)).to_be_visible()
    assert record.problems() == []
