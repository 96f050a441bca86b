"""manage.py create_security_admin: the first administrator of a new installation."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jifen.accounts.models import User
from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from tests.factories import make_applicant


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_security_admin", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_creates_a_security_admin_with_a_temporary_password() -> None:
    lines = run("sec-admin-1", "--full-name", "赵安全", "--phone", "13900001111")
    assert "临时密码只显示这一次" in lines[0]
    result = json.loads(lines[-1])
    assert result["username"] == "sec-admin-1" and result["role"] == "security_admin"

    user = User.objects.get(username="sec-admin-1")
    assert user.role == Role.SECURITY_ADMIN
    assert user.full_name == "赵安全"
    assert user.must_change_password is True
    assert user.check_password(result["password"])
    assert not user.is_superuser  # no all-powerful account

    event = AuditEvent.objects.get(action="account.create_staff", target_id=str(user.pk))
    assert event.actor is None
    assert event.channel == "cli"
    assert result["password"] not in json.dumps(event.after)

    # Signing in works, then the temporary password must be changed (after the second factor).
    client = Client()
    signed_in = client.post(
        "/accounts/login/", {"username": "sec-admin-1", "password": result["password"]}
    )
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_refuses_a_taken_name_and_writes_nothing() -> None:
    applicant = make_applicant("taken-name")
    with pytest.raises(CommandError, match="用户名“taken-name”已被使用"):
        run("taken-name", "--full-name", "钱安全")
    applicant.refresh_from_db()
    assert applicant.role == Role.APPLICANT
    assert not AuditEvent.objects.filter(action="account.create_staff").exists()


@pytest.mark.django_db
def test_refuses_an_empty_name() -> None:
    with pytest.raises(CommandError, match="--full-name: 请输入姓名"):
        run("sec-admin-2", "--full-name", "  ")
    assert not User.objects.filter(username="sec-admin-2").exists()


@pytest.mark.django_db
def test_refuses_an_invalid_user_name_naming_the_field() -> None:
    with pytest.raises(CommandError, match=r"^username: "):
        run("有 空格", "--full-name", "孙安全")
    assert not User.objects.filter(role=Role.SECURITY_ADMIN).exists()
