"""Password change and reset by SMS code: pages, API, limits, and what a reset ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jifen.accounts import recovery
from jifen.accounts.models import PasswordReset, User
from jifen.accounts.sms import MemoryBackend, mask_phone
from jifen.api.models import ApiToken
from jifen.audit.models import AuditEvent
from jifen.audit.redact import text_fact
from jifen.core.roles import Role
from tests.factories import PASSWORD, make_applicant, make_employer, make_staff

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-Passw0rd!"
RESET = reverse("accounts:password_reset")
CONFIRM = reverse("accounts:password_reset_confirm")
LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def outbox() -> Iterator[list]:
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def code_in(text: str) -> str:
    return re.search(r"验证码(\d{6})", text).group(1)


def login(username: str, password: str, ip: str = "127.0.0.1") -> Client:
    client = Client()
    client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)
    return client


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("web:dashboard")).status_code == 302 and "_auth_user_id" in (
        client.session
    )


def start_reset(client: Client, identifier: str, phone: str, ip: str = "127.0.0.1") -> object:
    return client.post(RESET, {"identifier": identifier, "phone": phone}, REMOTE_ADDR=ip)


# --- the reset on the pages ---------------------------------------------------------------------


def test_an_applicant_resets_by_identity_number_and_every_other_access_ends(outbox) -> None:
    user = make_applicant()
    elsewhere = login(user.username, PASSWORD)
    assert is_signed_in(elsewhere)
    _row, token = ApiToken.issue(user)
    for _ in range(4):  # some failures on record
        login(user.username, "Wrong-passw0rd-guess", ip="203.0.113.4")

    client = Client()
    response = start_reset(client, user.applicant.id_number, user.phone)
    assert response.status_code == 302 and response["Location"] == CONFIRM
    assert user.applicant.id_number not in response["Location"]
    [sms] = outbox
    assert sms.phone == user.phone
    assert "找回密码" in sms.text and "10分钟内有效" in sms.text
    row = PasswordReset.objects.get()
    assert code_in(sms.text) not in row.code_hash  # only a hash is stored

    response = client.post(CONFIRM, {"code": code_in(sms.text), "new_password": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == LOGIN
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The other session, the API token and the lock-out records are gone.
    assert not is_signed_in(elsewhere)
    assert ApiToken.objects.usable().filter(user=user).count() == 0
    assert Client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    assert not AccessFailureLog.objects.filter(username=user.username).exists()
    assert is_signed_in(login(user.username, NEW_PASSWORD))
    # The code cannot be used twice.
    with pytest.raises(recovery.InvalidInput, match="验证码已失效"):
        recovery.complete_reset(token="x", code=code_in(sms.text), new_password=NEW_PASSWORD)

    actions = list(AuditEvent.objects.filter(action__startswith="account.password")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["account.password_reset_requested", "account.password_reset"]
    requested = AuditEvent.objects.get(action="account.password_reset_requested")
    # What was typed (here an identity number) only as its length and keyed fingerprint.
    assert requested.after == {
        "sent": True, "outcome": "sent",
        "identifier": text_fact(user.applicant.id_number,
                                scope="account.password_reset:identifier"),
    }
    assert requested.after["identifier"]["length"] == 18
    assert requested.detail == ""
    assert user.applicant.id_number not in str(requested.after)
    stored = str(list(AuditEvent.objects.values_list("before", "after", "detail")))
    assert code_in(sms.text) not in stored and NEW_PASSWORD not in stored


def test_an_employer_agent_resets_by_user_name_with_full_width_input(outbox) -> None:
    agent = make_employer()
    full = "".join(chr(ord(c) + 0xFEE0) for c in agent.phone)
    client = Client()
    start_reset(client, agent.username, full)
    [sms] = outbox
    code = "".join(chr(ord(c) + 0xFEE0) for c in code_in(sms.text))
    response = client.post(CONFIRM, {"code": code, "new_password": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("case", ["wrong_phone", "unknown_user", "staff", "disabled"])
def test_the_answer_is_the_same_when_nothing_matches(case: str, outbox) -> None:
    applicant = make_applicant()
    matched = Client()
    matched_page = start_reset(matched, applicant.username, applicant.phone)
    staff = make_staff(Role.BUREAU_ADMIN)
    staff.phone = "13700000001"
    staff.save()
    identifier, phone = {
        "wrong_phone": (applicant.username, "13700000000"),
        "unknown_user": ("nobody-here", applicant.phone),
        "staff": (staff.username, staff.phone),
        "disabled": (applicant.username, applicant.phone),
    }[case]
    if case == "disabled":
        User.objects.filter(pk=applicant.pk).update(is_active=False)
    outbox.clear()
    client = Client()
    response = start_reset(client, identifier, phone)
    assert (response.status_code, response["Location"]) == (
        matched_page.status_code, matched_page["Location"]
    )
    page = client.get(CONFIRM).content.decode()
    assert recovery.SENT_MESSAGE in page
    assert outbox == []  # but no code was sent
    # Any code is refused the same way as a wrong one.
    response = client.post(CONFIRM, {"code": "123456", "new_password": NEW_PASSWORD,
                                      "new_password2": NEW_PASSWORD})
    assert response.context["form"].errors["code"] == ["验证码不正确，还可以再试4次"]


def test_five_wrong_codes_void_the_code(outbox) -> None:
    user = make_applicant()
    client = Client()
    start_reset(client, user.username, user.phone)
    right = code_in(outbox[0].text)
    wrong = "000000" if right != "000000" else "111111"
    messages = []
    for _ in range(5):
        response = client.post(CONFIRM, {"code": wrong, "new_password": NEW_PASSWORD,
                                         "new_password2": NEW_PASSWORD})
        messages.append(response.context["form"].errors["code"][0])
    assert messages == [
        *(f"验证码不正确，还可以再试{n}次" for n in (4, 3, 2, 1)), "验证码已失效，请重新获取",
    ]
    response = client.post(CONFIRM, {"code": right, "new_password": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert response.context["form"].errors["code"] == ["验证码已失效，请重新获取"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="account.password_reset_failed").count() == 5


def test_an_expired_code_is_refused(outbox) -> None:
    user = make_applicant()
    client = Client()
    start_reset(client, user.username, user.phone)
    PasswordReset.objects.update(expires_at=PasswordReset.objects.get().created_at)
    response = client.post(CONFIRM, {"code": code_in(outbox[0].text),
                                     "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.context["form"].errors["code"] == ["验证码已失效，请重新获取"]


def test_a_weak_new_password_is_refused_in_chinese_and_the_code_stays_usable(outbox) -> None:
    user = make_applicant()
    client = Client()
    start_reset(client, user.username, user.phone)
    code = code_in(outbox[0].text)
    response = client.post(CONFIRM, {"code": code, "new_password": " " * 12,
                                     "new_password2": " " * 12})
    assert response.context["form"].errors["new_password"] == [
        "密码不能全是空格，也不能由同一个字符重复组成"
    ]
    response = client.post(CONFIRM, {"code": code, "new_password": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD})
    assert response.status_code == 302


def test_codes_per_account_and_requests_per_address_are_limited(outbox) -> None:
    user = make_applicant()
    for n in range(4):
        start_reset(Client(), user.username, user.phone, ip=f"198.51.100.{n + 1}")
    assert len(outbox) == 3  # the fourth within the hour sends nothing, silently
    assert AuditEvent.objects.filter(action="account.password_reset_requested",
                                     after__outcome="rate_limited").count() == 1
    client = Client()
    for _ in range(10):
        assert start_reset(client, "someone", "13700000000", ip="203.0.113.9").status_code == 302
    response = start_reset(client, "someone", "13700000000", ip="203.0.113.9")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["找回密码的请求过于频繁，请1小时后再试"]


def test_confirm_without_a_request_goes_back_to_step_one() -> None:
    response = Client().get(CONFIRM)
    assert response.status_code == 302 and response["Location"] == RESET


def test_the_console_backend_masks_the_phone(caplog, settings) -> None:
    settings.SMS_BACKEND = "jifen.accounts.sms.ConsoleBackend"
    user = make_applicant()
    with caplog.at_level("INFO", logger="jifen.sms"):
        start_reset(Client(), user.username, user.phone)
    assert mask_phone(user.phone) in caplog.text
    assert user.phone not in caplog.text


def test_without_a_gateway_the_page_says_so(settings) -> None:
    settings.SMS_BACKEND = "jifen.accounts.sms.DisabledBackend"
    user = make_applicant()
    response = start_reset(Client(), user.username, user.phone)
    assert response.context["form"].non_field_errors() == [recovery.SMS_DOWN]


# --- change ---------------------------------------------------------------------------------


def test_change_needs_the_old_password_and_ends_other_sessions() -> None:
    user = make_applicant()
    here, elsewhere = login(user.username, PASSWORD), login(user.username, PASSWORD)
    url = reverse("accounts:password_change")
    response = here.post(url, {"old_password": "Wrong-passw0rd-guess",
                               "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.context["form"].errors["old_password"] == ["原密码不正确"]
    response = here.post(url, {"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                               "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="account.password_change", actor=user).count() == 1


def test_change_page_needs_login() -> None:
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- the API ------------------------------------------------------------------------------------


def test_api_reset_and_change(outbox) -> None:
    user = make_applicant()
    api = Client()
    response = api.post("/api/auth/password-reset",
                        {"identifier": user.username, "phone": user.phone},
                        content_type="application/json")
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == recovery.SENT_MESSAGE
    nobody = api.post("/api/auth/password-reset",
                      {"identifier": "nobody-here", "phone": user.phone},
                      content_type="application/json")
    assert nobody.status_code == 202 and set(nobody.json()) == set(body)
    assert nobody.json()["message"] == body["message"]

    wrong = api.post("/api/auth/password-reset/confirm",
                     {"reset_id": body["reset_id"], "code": "abc", "new_password": NEW_PASSWORD},
                     content_type="application/json")
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [{"field": "code", "message": recovery.CODE_FORMAT}]
    done = api.post("/api/auth/password-reset/confirm",
                    {"reset_id": body["reset_id"], "code": code_in(outbox[0].text),
                     "new_password": NEW_PASSWORD}, content_type="application/json")
    assert done.status_code == 204

    token = api.post("/api/auth/token", {"username": user.username, "password": NEW_PASSWORD},
                     content_type="application/json").json()["token"]
    other = ApiToken.issue(user)[1]
    headers = {"Authorization": f"Bearer {token}"}
    refused = api.post("/api/auth/password", {"old_password": PASSWORD,
                                              "new_password": "Third-Passw0rd-x!"},
                       content_type="application/json", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "old_password", "message": "原密码不正确"}]
    changed = api.post("/api/auth/password", {"old_password": NEW_PASSWORD,
                                              "new_password": "Third-Passw0rd-x!"},
                       content_type="application/json", headers=headers)
    assert changed.status_code == 204
    assert api.get("/api/me", headers=headers).status_code == 200  # the token in use stays
    assert api.get("/api/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_settings_of_the_reset() -> None:
    assert settings.PASSWORD_RESET["CODE_LIFETIME"] == timedelta(minutes=10)
