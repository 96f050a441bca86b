"""Forgotten password in a real browser: the login page's link, the SMS code, a new password,
then signing in with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jifen.accounts.sms import MemoryBackend
from tests.factories import make_applicant

from .conftest import PageWatch

NEW_PASSWORD = "Brand-new-Passw0rd!"


@pytest.mark.django_db(transaction=True)
def test_an_applicant_resets_a_forgotten_password(
    page: Page, live_server: Any, watch: Callable[[Page, str], PageWatch]
) -> None:
    MemoryBackend.outbox.clear()
    user = make_applicant()
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="忘记密码？").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("找回密码")

    page.locator("#id_identifier").fill(user.applicant.id_number)
    page.locator("#id_phone").fill(user.phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("设置新密码")
    expect(page.get_by_role("status").first).to_contain_text("验证码短信已发送")
    assert user.applicant.id_number not in page.url and user.phone not in page.url

    [sms] = MemoryBackend.outbox
    code = re.search(r"验证码(\d{6})", sms.text).group(1)
    page.locator("#id_code").fill(code)
    page.locator("#id_new_password").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="设置新密码").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.get_by_role("status").first).to_have_text("密码已重置，请用新密码登录。")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/my/"))
    assert record.problems() == []
    MemoryBackend.outbox.clear()
