"""The security administrator's account administration, and the separation of duties (三员分立).

Services (jifen.accounts.administration) and their pages in the staff workbench: each action,
its audit event, and each refusal.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.accounts import administration
from jifen.accounts.models import User
from jifen.api.models import ApiToken
from jifen.applications import selectors as app_selectors
from jifen.applications import services as app_services
from jifen.audit import selectors as audit_selectors
from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Department, Role
from tests.factories import (
    PASSWORD,
    linked_pair,
    make_applicant,
    make_round,
    make_staff,
    staff_client,
)

pytestmark = pytest.mark.django_db

HOME = reverse("staff:home")
WRONG = "Wrong-passw0rd-guess"


def action_url(user: User, action: str) -> str:
    return reverse("staff:account_action", args=[user.pk, action])


def fail_logins(username: str, ip: str, times: int = 5) -> None:
    for _ in range(times):
        Client().post(reverse("accounts:login"), {"username": username, "password": WRONG},
                      REMOTE_ADDR=ip)


def can_log_in(username: str, password: str = PASSWORD, ip: str = "203.0.113.1") -> bool:
    response = Client().post(reverse("accounts:login"),
                             {"username": username, "password": password}, REMOTE_ADDR=ip)
    return response.status_code == 302


@pytest.fixture
def admin() -> User:
    return make_staff(Role.SECURITY_ADMIN)


def row_of(html: str, username: str) -> str:
    match = re.search(rf'<tr data-username="{re.escape(username)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {username}"
    return match.group(1)


# --- the list shows the real state --------------------------------------------------------------


def test_the_list_shows_locked_disabled_and_second_factor(admin: User) -> None:
    locked = make_staff(Role.REVIEWER, Department.TAX)
    TOTPDevice.objects.create(user=locked, name="手机", confirmed=True)
    disabled = make_applicant()
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    fine = make_staff(Role.OPERATOR)
    fail_logins(locked.username, "203.0.113.1")

    html = staff_client(admin).get(HOME).content.decode()
    locked_row = row_of(html, locked.username)
    assert 'data-state="locked"' in locked_row and "已锁定" in locked_row
    assert "1个地址" in locked_row and "至 " in locked_row
    assert "已绑定" in locked_row
    assert action_url(locked, "unlock") in locked_row
    assert 'data-state="disabled"' in row_of(html, disabled.username)
    assert action_url(disabled, "enable") in row_of(html, disabled.username)
    fine_row = row_of(html, fine.username)
    assert 'data-state="active"' in fine_row and "未绑定" in fine_row
    # Neither their own account nor another security administrator's can be acted on.
    other_admin = make_staff(Role.SECURITY_ADMIN)
    html = staff_client(admin).get(HOME).content.decode()
    for untouchable in (admin, other_admin):
        assert "/staff/accounts/" not in row_of(html, untouchable.username)


def test_the_list_filters_by_state_role_and_name(admin: User) -> None:
    locked, other = make_applicant(), make_applicant()
    fail_logins(locked.username, "203.0.113.1")
    client = staff_client(admin)
    html = client.get(HOME, {"state": "locked"}).content.decode()
    assert f'data-username="{locked.username}"' in html
    assert f'data-username="{other.username}"' not in html
    html = client.get(HOME, {"q": other.username}).content.decode()
    assert f'data-username="{other.username}"' in html
    assert f'data-username="{locked.username}"' not in html
    html = client.get(HOME, {"role": "security_admin"}).content.decode()
    assert f'data-username="{admin.username}"' in html
    assert f'data-username="{other.username}"' not in html


# --- each action --------------------------------------------------------------------------------


def test_create_a_reviewer_with_a_password_shown_once(admin: User) -> None:
    client = staff_client(admin)
    page = client.get(reverse("staff:account_create")).content.decode()
    assert 'value="security_admin"' not in page
    response = client.post(reverse("staff:account_create"), {
        "username": "new-reviewer", "full_name": "赵审核", "role": "reviewer",
        "department": "tax", "phone": "",
    })
    assert response.status_code == 200
    password = re.search(r'id="temporary-password">([^<]+)<', response.content.decode()).group(1)
    user = User.objects.get(username="new-reviewer")
    assert (user.role, user.department, user.full_name) == ("reviewer", "tax", "赵审核")
    assert user.check_password(password)
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="account.create_staff", actor=admin)
    assert event.after["department"] == "tax"
    assert password not in str([event.before, event.after, event.detail])
    assert can_log_in("new-reviewer", password)


def test_a_reviewer_needs_a_department_and_errors_keep_the_form(admin: User) -> None:
    response = staff_client(admin).post(reverse("staff:account_create"), {
        "username": "new-reviewer", "full_name": "赵审核", "role": "reviewer", "department": "",
    })
    assert response.context["form"].errors["department"] == ["部门审核员必须指定部门"]
    assert "赵审核" in response.content.decode()
    assert not User.objects.filter(username="new-reviewer").exists()


def test_unlock_clears_every_lock_of_the_account(admin: User) -> None:
    user = make_staff(Role.BUREAU_ADMIN)
    fail_logins(user.username, "203.0.113.1")
    fail_logins(user.username, "203.0.113.2")
    assert not can_log_in(user.username, ip="203.0.113.1")
    client = staff_client(admin)
    confirm = client.get(action_url(user, "unlock")).content.decode()
    assert "解除登录限制" in confirm and 'id="confirm-action"' in confirm
    response = client.post(action_url(user, "unlock"), {"reason": "本人来电"})
    assert response.status_code == 302 and response["Location"] == HOME
    assert can_log_in(user.username, ip="203.0.113.1")
    event = AuditEvent.objects.get(action="account.unlock")
    assert (event.actor, event.detail) == (admin, "本人来电")
    assert event.after["records"] > 0


def test_disable_needs_a_reason_ends_sessions_and_tokens_and_enable_restores(admin: User) -> None:
    applicant, _agent = linked_pair()
    session = Client()
    session.force_login(applicant)
    _row, token = ApiToken.issue(applicant)
    client = staff_client(admin)
    response = client.post(action_url(applicant, "disable"), {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [administration.REASON_REQUIRED]
    applicant.refresh_from_db()
    assert applicant.is_active

    client.post(action_url(applicant, "disable"), {"reason": "工单 2026-001"})
    applicant.refresh_from_db()
    assert not applicant.is_active
    assert session.get(reverse("web:dashboard")).status_code == 302  # signed out
    assert Client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert not can_log_in(applicant.username)
    event = AuditEvent.objects.get(action="account.disable")
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False, "tokens_revoked": 1}
    assert event.detail == "工单 2026-001"

    client.post(action_url(applicant, "enable"), {"reason": ""})
    applicant.refresh_from_db()
    assert applicant.is_active and can_log_in(applicant.username)
    assert AuditEvent.objects.filter(action="account.enable", actor=admin).count() == 1


def test_reset_the_second_factor(admin: User) -> None:
    reviewer = make_staff(Role.REVIEWER, Department.EDUCATION)
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    client = staff_client(admin)
    response = client.post(action_url(reviewer, "reset-second-factor"), {"reason": ""})
    assert response.context["form"].errors["reason"] == [administration.REASON_REQUIRED]
    assert TOTPDevice.objects.filter(user=reviewer).exists()
    client.post(action_url(reviewer, "reset-second-factor"), {"reason": "手机丢失"})
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    event = AuditEvent.objects.get(action="account.second_factor_reset")
    assert (event.actor, event.detail, event.after) == (admin, "手机丢失", {"devices": 1})


def test_reset_a_staff_password(admin: User) -> None:
    auditor = make_staff(Role.AUDITOR)
    signed_in = staff_client(auditor)
    fail_logins(auditor.username, "203.0.113.1")
    response = staff_client(admin).post(action_url(auditor, "reset-password"),
                                        {"reason": "忘记密码"})
    password = re.search(r'id="temporary-password">([^<]+)<', response.content.decode()).group(1)
    auditor.refresh_from_db()
    assert auditor.check_password(password) and not auditor.check_password(PASSWORD)
    assert signed_in.get(HOME).status_code == 302  # the old session has ended
    assert can_log_in(auditor.username, password, ip="203.0.113.1")  # and the lock is gone
    event = AuditEvent.objects.get(action="account.password_reset_by_admin")
    assert event.actor == admin and password not in str([event.after, event.detail])


# --- refusals (三员分立) -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.OPERATOR, Role.BUREAU_ADMIN])
def test_other_staff_cannot_administer_accounts(role: str) -> None:
    actor = make_staff(role, "")
    target = make_applicant()
    with pytest.raises(NotPermitted, match=administration.ONLY_SECURITY_ADMIN):
        administration.unlock(actor=actor, user_id=target.pk)
    with pytest.raises(NotPermitted):
        administration.create_staff_account(actor=actor, username="x-new", role="operator",
                                            full_name="某某")
    client = staff_client(actor)
    assert client.get(reverse("staff:account_create")).status_code == 403
    assert client.post(action_url(target, "disable"), {"reason": "x"}).status_code == 403
    target.refresh_from_db()
    assert target.is_active


def test_applicants_cannot_reach_the_pages() -> None:
    applicant = make_applicant()
    client = Client()
    client.force_login(applicant)
    assert client.get(reverse("staff:account_create")).status_code == 403


def test_not_their_own_account_nor_another_security_admin(admin: User) -> None:
    other = make_staff(Role.SECURITY_ADMIN)
    for target, message in ((admin, administration.NOT_YOURSELF),
                            (other, administration.NOT_SECURITY_ADMINS)):
        with pytest.raises(NotPermitted, match=message):
            administration.set_active(actor=admin, user_id=target.pk, active=False, reason="x")
        with pytest.raises(NotPermitted, match=message):
            administration.reset_password(actor=admin, user_id=target.pk, reason="x")
        response = staff_client(admin).post(action_url(target, "disable"), {"reason": "x"})
        assert response.status_code == 403
        assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="account.disable").exists()


def test_no_new_security_admins(admin: User) -> None:
    with pytest.raises(NotPermitted, match=administration.NO_NEW_SECURITY_ADMINS):
        administration.create_staff_account(actor=admin, username="admin2", role="security_admin",
                                            full_name="某某")
    response = staff_client(admin).post(reverse("staff:account_create"), {
        "username": "admin2", "full_name": "某某", "role": "security_admin",
    })
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="admin2").exists()


def test_applicant_passwords_are_not_reset_by_the_admin(admin: User) -> None:
    applicant = make_applicant()
    with pytest.raises(NotPermitted, match="找回密码"):
        administration.reset_password(actor=admin, user_id=applicant.pk, reason="来电")


def test_a_reason_is_required_by_the_services_too(admin: User) -> None:
    target = make_staff(Role.OPERATOR)
    for call in (
        lambda: administration.set_active(actor=admin, user_id=target.pk, active=False,
                                          reason="  "),
        lambda: administration.reset_second_factor(actor=admin, user_id=target.pk, reason=""),
        lambda: administration.reset_password(actor=admin, user_id=target.pk, reason=""),
    ):
        with pytest.raises(InvalidInput) as info:
            call()
        assert [(e.field, e.message) for e in info.value.errors] == [
            ("reason", administration.REASON_REQUIRED)
        ]


def test_the_security_admin_reads_no_declarations_and_no_audit_log(admin: User) -> None:
    applicant, _agent = linked_pair()
    with pytest.raises(NotPermitted):
        audit_selectors.events_for_auditor(admin)
    make_round(2026)
    app = app_services.application_start(actor=applicant)
    with pytest.raises((NotPermitted, NotFound)):
        app_selectors.application_for(admin, app.pk)
    response = staff_client(admin).get(reverse("staff:application", args=[app.pk]))
    assert response.status_code in (403, 404)


# --- a temporary password is changed before anything else ----------------------------------------


def _temporary_password_of(response) -> str:
    return re.search(r'id="temporary-password">([^<]+)<', response.content.decode()).group(1)


def test_a_new_staff_account_must_choose_its_own_password_first(admin: User) -> None:
    response = staff_client(admin).post(reverse("staff:account_create"), {
        "username": "new-auditor", "full_name": "钱审计", "role": "auditor", "department": "",
        "phone": "",
    })
    temporary = _temporary_password_of(response)
    user = User.objects.get(username="new-auditor")
    assert user.must_change_password
    client = staff_client(user)  # signed in, second factor passed
    # Every page and API call leads to the password change until it is done ...
    home = client.get(HOME)
    assert (home.status_code, home["Location"]) == (302, reverse("accounts:password_change"))
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "您正在使用安全管理员发放的临时密码，请先设置自己的密码" in page.content.decode()
    api = client.get("/api/me")
    assert api.status_code == 403
    assert api.json() == {"code": "password_change_required",
                          "message": "您正在使用安全管理员发放的临时密码，请先设置自己的密码",
                          "errors": []}
    # ... and logout still works.
    assert client.post(reverse("accounts:logout")).status_code == 302
    client = staff_client(user)
    changed = client.post(reverse("accounts:password_change"), {
        "old_password": temporary, "new_password": "Own-choice-2026!x",
        "new_password2": "Own-choice-2026!x",
    })
    assert changed.status_code == 302, changed.content.decode()[:2000]
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("Own-choice-2026!x")
    assert client.get(HOME).status_code == 200


def test_a_reset_staff_password_must_be_changed_too(admin: User) -> None:
    operator = make_staff(Role.OPERATOR)
    assert not operator.must_change_password
    staff_client(admin).post(action_url(operator, "reset-password"), {"reason": "忘记密码"})
    operator.refresh_from_db()
    assert operator.must_change_password
    response = staff_client(operator).get(HOME)
    assert response["Location"] == reverse("accounts:password_change")


def test_other_accounts_are_not_sent_to_the_password_change() -> None:
    applicant = make_applicant()
    client = Client()
    client.force_login(applicant)
    assert client.get(reverse("web:dashboard")).status_code == 302
    assert client.get(reverse("web:dashboard"))["Location"] != reverse("accounts:password_change")
