"""Staff sign in with a second factor (TOTP, django-otp); the public is never asked."""

from __future__ import annotations

import base64
import re
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.accounts.models import User
from jifen.audit.models import AuditEvent
from jifen.audit.services import verify_chain
from jifen.core.roles import STAFF_ROLES, Department, Role
from jifen.demo.otp import demo_key
from tests.factories import (
    PASSWORD,
    linked_pair,
    make_applicant,
    make_staff,
    staff_client,
    verify_second_factor,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")
STAFF_HOME = reverse("staff:home")


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's code now (computed here from its key, as the phone app would)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def password_login(user: User, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="手机", confirmed=True)


def actions_of(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(user.pk), action__startswith="account.second")
        .order_by("seq").values_list("action", flat=True)
    )


def test_settings_keep_axes_last_and_otp_after_authentication():
    from django.conf import settings

    mw = settings.MIDDLEWARE
    assert mw[-1] == "axes.middleware.AxesMiddleware"
    auth = mw.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert mw[auth + 1] == "django_otp.middleware.OTPMiddleware"
    ours = mw.index("jifen.accounts.middleware.StaffSecondFactorMiddleware")
    assert auth + 1 < ours < len(mw) - 1
    assert settings.OTP_TOTP_THROTTLE_FACTOR > 0


# --- enrolment ---------------------------------------------------------------------------------


def test_staff_after_password_login_is_sent_to_setup():
    staff = make_staff(Role.BUREAU_ADMIN)
    client = password_login(staff)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response.url == f"{SETUP}?next=%2Fdashboard%2F"
    response = client.get(STAFF_HOME + "?page=2")
    assert response.url == f"{SETUP}?next=%2Fstaff%2F%3Fpage%3D2"


def test_setup_page_shows_the_qr_code_and_the_secret():
    staff = make_staff(Role.AUDITOR)
    client = password_login(staff)
    response = client.get(SETUP, {"next": "/staff/"})
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False
    match = re.search(r'<img id="otp-qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert match, html
    svg = base64.b64decode(match.group(1)).decode()
    assert svg.startswith("<svg") and "</svg>" in svg
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert grouped.replace(" ", "") == secret
    assert all(len(g) == 4 for g in grouped.split(" "))
    assert "使用手机上的身份验证器应用扫描二维码" in html
    assert 'value="/staff/"' in html  # next is kept in the form
    assert "style=" not in html and "<script>" not in html  # CSP: nothing inline
    # Reloading keeps the same pending device (the QR code stays valid).
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert TOTPDevice.objects.get(user=staff).key == device.key


def test_a_correct_code_confirms_the_device_and_lands_on_the_dashboard():
    staff = make_staff(Role.REVIEWER, Department.TAX)
    client = password_login(staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(SETUP, {"code": code_for(device), "next": ""})
    assert response.status_code == 302 and response.url == reverse("web:dashboard")
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(reverse("web:dashboard")).url == STAFF_HOME
    assert client.get(STAFF_HOME).status_code == 200
    assert actions_of(staff) == ["account.second_factor_enrolled"]
    event = AuditEvent.objects.get(action="account.second_factor_enrolled")
    assert event.actor == staff and event.channel == "web"
    # Enrolled: the setup page now sends the verified user on, and cannot add a second device.
    assert client.get(SETUP).status_code == 302
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_setup_goes_on_to_next():
    staff = make_staff(Role.OPERATOR)
    client = password_login(staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(SETUP, {"code": code_for(device), "next": "/staff/?page=2"})
    assert response.url == "/staff/?page=2"


def test_setup_refuses_a_wrong_code_and_another_site_as_next():
    staff = make_staff(Role.OPERATOR)
    client = password_login(staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert actions_of(staff) == ["account.second_factor_failed"]
    device.throttle_reset()
    response = client.post(SETUP, {"code": code_for(device), "next": "https://evil.example/"})
    assert response.url == reverse("web:dashboard")


def test_an_enrolled_but_unverified_user_cannot_bind_a_new_device():
    staff = make_staff(Role.SECURITY_ADMIN)
    enrolled(staff)
    client = password_login(staff)
    response = client.get(SETUP, {"next": "/staff/"})
    assert response.status_code == 302 and response.url == f"{VERIFY}?next=%2Fstaff%2F"
    assert TOTPDevice.objects.filter(user=staff).count() == 1


# --- every later sign-in -----------------------------------------------------------------------


def test_enrolled_staff_are_sent_to_the_code_page_and_pass_with_a_code():
    staff = make_staff(Role.AUDITOR)
    device = enrolled(staff)
    client = password_login(staff)
    response = client.get(STAFF_HOME)
    assert response.url == f"{VERIFY}?next=%2Fstaff%2F"
    page = client.get(response.url)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    response = client.post(VERIFY, {"code": code_for(device), "next": "/staff/"})
    assert response.status_code == 302 and response.url == "/staff/"
    assert client.get(STAFF_HOME).status_code == 200
    assert client.get("/api/me").status_code == 200
    assert actions_of(staff) == ["account.second_factor_verified"]
    # A verified session is not asked again.
    assert client.get(VERIFY).url == reverse("web:dashboard")


def test_a_wrong_code_is_refused_audited_and_throttled():
    staff = make_staff(Role.BUREAU_ADMIN)
    device = enrolled(staff)
    client = password_login(staff)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()
    assert client.get(STAFF_HOME).status_code == 302
    event = AuditEvent.objects.get(action="account.second_factor_failed")
    assert event.actor == staff and event.target_id == str(staff.pk)
    assert wrong not in str(event.after) and right not in str(event.after)  # no codes stored
    # Straight away even the right code waits for django-otp's throttle.
    response = client.post(VERIFY, {"code": right})
    assert response.status_code == 200
    assert "秒后再试" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # a refused attempt does not count
    assert device.last_t == -1  # and the right code was not used up
    assert AuditEvent.objects.filter(action="account.second_factor_failed").count() == 2
    assert verify_chain().ok


def test_a_malformed_code_is_a_form_error_without_an_attempt():
    staff = make_staff(Role.OPERATOR)
    device = enrolled(staff)
    client = password_login(staff)
    response = client.post(VERIFY, {"code": "12ab"})
    assert "请输入6位数字验证码" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_works_once():
    staff = make_staff(Role.OPERATOR)
    device = enrolled(staff)
    code = code_for(device)
    first = password_login(staff)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = password_login(staff)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200 and "验证码不正确或已过期" in response.content.decode()


# --- what an unverified staff session reaches ---------------------------------------------------


def test_unverified_staff_session_gets_401_on_the_api_and_a_redirect_on_pages():
    staff = make_staff(Role.REVIEWER, Department.HOUSING)
    enrolled(staff)
    client = Client()
    client.force_login(staff)
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {
        "code": "second_factor_required",
        "message": response.json()["message"],
        "errors": [],
    }
    assert response.json()["message"]
    assert client.get("/api/docs").status_code == 401
    response = client.get(STAFF_HOME)
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    # A POST is redirected too, without a next that would repeat it as a GET.
    response = client.post(reverse("staff:home"))
    assert response.status_code == 302 and response.url == VERIFY


def test_unverified_staff_reach_only_the_open_paths():
    staff = make_staff(Role.OPERATOR)
    client = Client()
    client.force_login(staff)
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get(reverse("web:healthz-live")).status_code == 200
    assert client.get(SETUP).status_code == 200
    assert client.get(VERIFY).url.startswith(SETUP)  # nothing to verify with yet
    assert client.get(reverse("web:home")).status_code == 302
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == reverse("web:home")
    assert client.get(reverse("web:home")).status_code == 200  # signed out now


def test_the_api_session_auth_refuses_unverified_staff_without_the_middleware(settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE
        if m != "jifen.accounts.middleware.StaffSecondFactorMiddleware"
    ]
    staff = make_staff(Role.AUDITOR)
    client = Client()
    client.force_login(staff)
    response = client.get("/api/me")
    assert response.status_code == 401 and response.json()["code"] == "second_factor_required"
    verify_second_factor(client, staff)
    assert client.get("/api/me").status_code == 200


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_every_staff_role_is_asked(role):
    staff = make_staff(role, Department.TAX if role == Role.REVIEWER else "")
    client = Client()
    client.force_login(staff)
    assert client.get(STAFF_HOME).url.startswith(SETUP)
    assert staff_client(staff).get(STAFF_HOME).status_code == 200


def test_applicants_and_employers_are_never_asked():
    applicant, agent = linked_pair()
    for user in (applicant, agent):
        client = password_login(user)
        response = client.get(reverse("web:dashboard"))
        assert response.status_code == 302
        assert not response.url.startswith("/accounts/second-factor")
        assert client.get(response.url).status_code == 200
        assert client.get("/api/me").status_code == 200
        # The second-factor pages just send them to their own pages.
        assert client.get(SETUP).url == reverse("web:dashboard")
        assert client.get(VERIFY).url == reverse("web:dashboard")
    assert not TOTPDevice.objects.exists()


def test_a_device_of_someone_else_in_the_session_does_not_verify():
    staff, other = make_staff(Role.OPERATOR), make_staff(Role.OPERATOR)
    device = enrolled(other)
    client = Client()
    client.force_login(staff)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get(STAFF_HOME).status_code == 302


def test_the_second_factor_pages_need_a_login():
    response = Client().get(VERIFY)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert Client().get(SETUP).url.startswith(LOGIN)


# --- lost phone: manage.py otp_reset -----------------------------------------------------------


def test_otp_reset_deletes_the_devices_and_is_audited():
    staff = make_staff(Role.REVIEWER, Department.POLICE)
    client = staff_client(staff)
    assert client.get(STAFF_HOME).status_code == 200
    out = StringIO()
    call_command("otp_reset", staff.username, "--reason", "工单 2026-17", stdout=out)
    assert "1 second-factor device(s) deleted" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=staff).exists()
    event = AuditEvent.objects.get(action="account.second_factor_reset")
    assert event.actor is None and event.channel == "cli"
    assert event.target_id == str(staff.pk) and event.after == {"devices": 1}
    assert event.detail == "工单 2026-17"
    # The old session lost its verification: the next page is the enrolment page.
    assert client.get(STAFF_HOME).url.startswith(SETUP)


def test_otp_reset_of_an_unknown_account_fails():
    with pytest.raises(CommandError, match="no account"):
        call_command("otp_reset", "nobody", stdout=StringIO())
    assert not AuditEvent.objects.filter(action="account.second_factor_reset").exists()


# --- the demo's codes: manage.py demo_otp_code ---------------------------------------------------


def test_demo_otp_code_prints_a_code_that_verifies(settings):
    from jifen.demo.loader import DEMO_PASSWORD, load_demo

    load_demo()
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_otp_code", "demo-bureau", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    bureau = User.objects.get(username="demo-bureau")
    assert TOTPDevice.objects.get(user=bureau).key == demo_key("demo-bureau")
    client = password_login(bureau, DEMO_PASSWORD)
    response = client.post(VERIFY, {"code": code, "next": STAFF_HOME})
    assert response.status_code == 302 and response.url == STAFF_HOME
    assert client.get(STAFF_HOME).status_code == 200
    # The code was used: the command now prints the next one, which also verifies.
    again = StringIO()
    call_command("demo_otp_code", "demo-bureau", stdout=again)
    assert again.getvalue().strip() != code
    second = password_login(bureau, DEMO_PASSWORD)
    assert second.post(VERIFY, {"code": again.getvalue().strip()}).status_code == 302


def test_demo_otp_code_refusals(settings):
    settings.DEBUG = False
    staff = make_staff(Role.OPERATOR, username="demo-operator")
    TOTPDevice.objects.create(user=staff, name="手机", confirmed=True, key=demo_key("x"))
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_otp_code", "demo-operator", stdout=StringIO())
    # --force passes the DEBUG check, but this device is not the demo one.
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_otp_code", "demo-operator", "--force", stdout=StringIO())
    settings.DEBUG = True
    make_applicant("demo-new")
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_otp_code", "demo-new", stdout=StringIO())
    with pytest.raises(CommandError, match="no account"):
        call_command("demo_otp_code", "nobody", stdout=StringIO())
    TOTPDevice.objects.filter(user=staff).update(key=demo_key("demo-operator"))
    out = StringIO()
    call_command("demo_otp_code", "demo-operator", stdout=out)
    device = TOTPDevice.objects.get(user=staff)
    assert out.getvalue().strip() in {code_for(device, steps_ahead=n) for n in (-1, 0, 1)}
