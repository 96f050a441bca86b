"""Login lock-out (django-axes) and the audit trail of signing in and out.

Five failed logins for one username lock that account for 30 minutes, whatever address,
User-Agent or cookies the attempts come from (等保2.0 三级 登录失败处理, OWASP ASVS 2.2.1).
"""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse

from jifen.accounts.lockout import lockout_response
from jifen.accounts.models import User
from jifen.audit.models import AuditEvent
from tests.factories import PASSWORD, id_number, make_applicant

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = "登录失败次数过多，账户已临时锁定30分钟，请稍后再试或联系管理员"
WRONG_LOGIN = "用户名或密码不正确"
WRONG_PASSWORD = "Wrong-passw0rd-guess"
LOGIN_URL = reverse("accounts:login")
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def attempt(
    client: Client, username: str, password: str, *, ip: str = "127.0.0.1", agent: str = "pytest"
) -> object:
    return client.post(
        LOGIN_URL,
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=agent,
    )


def signed_in_user_id(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or not cookie.value:
        return None
    return SessionStore(cookie.value).get("_auth_user_id")


def assert_locked_page(response: object) -> None:
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED_MESSAGE in html
    assert "账户已临时锁定" in html
    assert response["Retry-After"] == str(30 * 60)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- the lock-out ------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password() -> None:
    user = make_applicant()
    client = Client()
    for _ in range(4):
        response = attempt(client, user.username, WRONG_PASSWORD)
        assert response.status_code == 200
        assert WRONG_LOGIN in response.content.decode()
    # The fifth failure locks the account and already answers with the lock-out page.
    assert_locked_page(attempt(client, user.username, WRONG_PASSWORD))

    response = attempt(client, user.username, PASSWORD)
    assert_locked_page(response)
    assert signed_in_user_id(client) is None
    assert client.get(reverse("web:dashboard")).status_code == 302  # back to the login page

    locked = events("account.locked_out")
    assert len(locked) == 1, "only the locking failure is a lock-out; the refusal after it is not"
    assert locked[0].actor == user
    assert locked[0].detail == ""  # the account is the target; no typed name in the log
    assert locked[0].target_type == "accounts.user"
    assert locked[0].target_id == str(user.pk)
    assert locked[0].after == {"failures": 5}
    assert locked[0].ip == "127.0.0.1"
    failed = events("account.login_failed")
    assert [e.after["locked_out"] for e in failed] == [False] * 4 + [True, True]
    assert events("account.login") == []


def test_the_lock_holds_whatever_address_or_user_agent_the_attempts_come_from() -> None:
    """Credential stuffing: every guess from another address and browser, fresh cookies."""
    user = make_applicant()
    for n in range(5):
        attempt(Client(), user.username, WRONG_PASSWORD, ip=f"203.0.113.{n + 1}", agent=f"bot/{n}")
    client = Client()
    assert_locked_page(attempt(client, user.username, PASSWORD, ip="198.51.100.7", agent="Edge"))
    assert signed_in_user_id(client) is None
    assert AccessAttempt.objects.filter(username=user.username).count() == 5


def test_the_lock_is_per_account_not_per_address() -> None:
    """Colleagues behind one office NAT are not locked out by someone else's typos."""
    locked, colleague = make_applicant(), make_applicant()
    client = Client()
    for _ in range(5):
        attempt(client, locked.username, WRONG_PASSWORD)
    response = attempt(client, colleague.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(colleague.pk)


def test_an_unknown_username_is_locked_the_same_way() -> None:
    """The page does not tell whether an account exists."""
    client = Client()
    for _ in range(5):
        response = attempt(client, "no_such_user", WRONG_PASSWORD)
    assert_locked_page(response)
    [event] = events("account.locked_out")
    assert event.actor is None
    assert (event.target_type, event.target_id) == ("", "")
    # What was typed is kept as a keyed fingerprint, never in the clear.
    assert event.detail == ""
    assert event.after["typed_username"]["length"] == len("no_such_user")
    assert "no_such_user" not in json.dumps([event.before, event.after, event.detail])


def test_a_success_before_the_limit_resets_the_count() -> None:
    user = make_applicant()
    client = Client()
    for _ in range(4):
        attempt(client, user.username, WRONG_PASSWORD)
    assert attempt(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    assert not AccessAttempt.objects.filter(username=user.username).exists()

    # Four more failures: eight in all, but only four since the success.
    for _ in range(4):
        response = attempt(client, user.username, WRONG_PASSWORD)
        assert response.status_code == 200
        assert WRONG_LOGIN in response.content.decode()
    assert attempt(client, user.username, PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    assert events("account.locked_out") == []


def shift_attempts_back(username: str, minutes: int) -> None:
    """Let time pass for the recorded failures (they are dated by their last attempt)."""
    AccessAttempt.objects.filter(username=username).update(
        attempt_time=F("attempt_time") - timedelta(minutes=minutes)
    )


def test_the_lock_ends_30_minutes_after_the_locking_failure() -> None:
    user = make_applicant()
    client = Client()
    for _ in range(5):
        attempt(client, user.username, WRONG_PASSWORD)

    shift_attempts_back(user.username, 29)
    # Still locked after 29 minutes; this refused attempt does not extend the lock-out.
    assert_locked_page(attempt(client, user.username, PASSWORD))
    shift_attempts_back(user.username, 2)

    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_axes_reset_username_unlocks_the_account() -> None:
    user = make_applicant()
    client = Client()
    for _ in range(5):
        attempt(client, user.username, WRONG_PASSWORD)
    out = StringIO()
    call_command("axes_reset_username", user.username, stdout=out)
    assert "attempts removed" in out.getvalue()
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_authenticate_without_the_request_is_refused() -> None:
    """Every authenticate() call must pass request=request (the API's token endpoint too),
    or the lock-out could not count it."""
    user = make_applicant()
    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(username=user.username, password=PASSWORD)
    request = RequestFactory().post("/api/auth/token")
    assert authenticate(request, username=user.username, password=PASSWORD) == user


def test_the_api_gets_the_lock_out_as_json() -> None:
    request = RequestFactory().post("/api/auth/token", REMOTE_ADDR="127.0.0.1")
    response = lockout_response(request, None, {"username": "someone"})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(30 * 60)
    assert json.loads(response.content) == {
        "code": "locked_out",
        "message": LOCKED_MESSAGE,
        "errors": [],
    }


def test_registration_still_signs_the_new_user_in() -> None:
    client = Client()
    response = client.post(
        reverse("accounts:register_applicant"),
        {
            "name": "王素芳",
            "id_number": id_number(),
            "phone": "13912345678",
            "username": "wang_sufang",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="wang_sufang")
    assert signed_in_user_id(client) == str(user.pk)
    [event] = events("account.login")
    assert event.actor == user


# --- audit of logins and logouts -----------------------------------------------------------------


def test_login_and_logout_are_audited() -> None:
    user = make_applicant()
    client = Client()
    response = attempt(client, user.username, PASSWORD, ip="192.0.2.10", agent="Firefox/140")
    assert response.status_code == 302
    [login] = events("account.login")
    assert login.actor == user
    assert (login.target_type, login.target_id) == ("accounts.user", str(user.pk))
    assert (login.ip, login.user_agent, login.channel) == ("192.0.2.10", "Firefox/140", "web")

    response = client.post(reverse("accounts:logout"), REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302
    [logout] = events("account.logout")
    assert logout.actor == user
    assert logout.seq > login.seq
    assert signed_in_user_id(client) is None


def test_logout_without_a_session_records_nothing() -> None:
    Client().post(reverse("accounts:logout"))
    assert events("account.logout") == []


def test_a_failed_login_is_audited_with_the_username_and_never_the_password() -> None:
    user = make_applicant()
    attempt(Client(), user.username, WRONG_PASSWORD, ip="192.0.2.44")
    attempt(Client(), "nobody_by_that_name", WRONG_PASSWORD, ip="192.0.2.45")

    attempt(Client(), "nobody_by_that_name", WRONG_PASSWORD, ip="192.0.2.46")

    known, unknown, again = events("account.login_failed")
    assert known.actor is None  # nobody proved who they are
    assert (known.target_type, known.target_id) == ("accounts.user", str(user.pk))
    assert known.detail == ""
    assert known.after == {"locked_out": False}
    assert known.ip == "192.0.2.44"
    assert unknown.actor is None
    assert (unknown.target_type, unknown.target_id) == ("", "")
    # A typed name that is no account's may be a password or a person's name: only its length
    # and keyed fingerprint, the same for the same name (attempts on it can be counted).
    assert unknown.detail == ""
    typed = unknown.after["typed_username"]
    assert typed["length"] == len("nobody_by_that_name")
    assert len(typed["fingerprint"]) == 32
    assert again.after["typed_username"] == typed
    for event in (known, unknown, again):
        stored = json.dumps([event.before, event.after, event.detail, event.field])
        assert WRONG_PASSWORD not in stored
        assert "password" not in stored
        assert "nobody_by_that_name" not in stored


def test_login_gives_a_new_session_key() -> None:
    """Session fixation: the key a visitor had before signing in is dropped at login."""
    user = make_applicant()
    client = Client()
    session = client.session
    session["probe"] = "before login"
    session.save()
    before = session.session_key

    assert attempt(client, user.username, PASSWORD).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not SessionStore().exists(before)
    assert SessionStore(after)["_auth_user_id"] == str(user.pk)
