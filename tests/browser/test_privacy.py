"""Personal data in a browser: the applicant downloads their copy and asks for a correction
(a refused form keeps what was typed), the bureau answers from its queue, the applicant sees
the answer."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.accounts.models import User
from jifen.core.roles import Role
from tests.browser.conftest import PageWatch
from tests.factories import make_applicant, make_staff


def test_download_and_correction_from_request_to_answer(
    page: Page,
    new_page: Callable[..., Page],
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    applicant = make_applicant(name="欧阳晓梅")
    bureau = make_staff(Role.BUREAU_ADMIN)
    login_as(page, applicant)
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/my/")
    page.get_by_role("link", name="个人信息下载与更正").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个人信息下载与更正")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载个人信息（ZIP）").click()
    path = download_info.value.path()
    with zipfile.ZipFile(io.BytesIO(Path(path).read_bytes())) as book:
        data = json.loads(book.read("personal-data.json"))
    assert data["account"]["identity"]["name"] == "欧阳晓梅"

    # A refused form: the errors name the fields, what was typed stays.
    page.get_by_label("更正项目").select_option("phone")
    page.get_by_label("现有信息错在何处").fill("注册时的号码已停用")
    page.get_by_label("应更正为").fill("1391234")
    page.get_by_role("button", name="提交更正申请").click()
    expect(page.locator(".field-error")).to_have_text(
        ["应更正为的手机号码应为以 1 开头的 11 位数字"]
    )
    expect(page.get_by_label("现有信息错在何处")).to_have_value("注册时的号码已停用")
    page.get_by_label("应更正为").fill("13912345678")
    page.get_by_role("button", name="提交更正申请").click()
    expect(page.locator(".alert").first).to_contain_text("更正申请已提交")
    expect(page.locator("#my-corrections")).to_contain_text("待处理")
    screenshot(page, "privacy-applicant")

    staff = new_page()
    login_as(staff, bureau)
    staff.goto(live_server.url + "/staff/corrections/")
    expect(staff.locator("#correction-queue")).to_contain_text("欧阳晓梅")
    screenshot(staff, "privacy-bureau-queue")
    staff.get_by_role("link", name="处理", exact=True).click()
    staff.get_by_label("同意更正").check()
    staff.get_by_label("处理意见").fill("已核实")
    staff.get_by_role("button", name="提交答复").click()
    expect(staff.locator(".alert").first).to_contain_text("已答复该更正申请")

    page.reload()
    expect(page.locator("#my-corrections")).to_contain_text("已更正")
    expect(page.locator("#my-corrections")).to_contain_text("已核实")
    assert User.objects.get(pk=applicant.pk).phone == "13912345678"
    # The one refused form answered 422 on purpose; nothing else went wrong.
    assert [p for p in record.problems() if "422" not in p] == []
    assert len(record.problems()) <= 2
