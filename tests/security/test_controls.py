"""Level-3 controls of docs/security.md that no other test held: no default account or
administration site (访问控制 b), nothing of a session left behind at logout (剩余信息保护 a),
and the security headers on the API's answers as on the pages (入侵防范)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from jifen.accounts.models import User
from tests.factories import PASSWORD, make_applicant

pytestmark = pytest.mark.django_db


def test_a_new_system_has_no_account_and_no_admin_site(client: Client) -> None:
    # The migrations create no account (no default user, no default password to change),
    # and Django's admin site, with its all-powerful superuser, is not installed.
    assert User.objects.count() == 0
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_logout_deletes_the_session_on_the_server(client: Client) -> None:
    applicant = make_applicant()
    assert client.post("/accounts/login/", {"username": applicant.username,
                                            "password": PASSWORD}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    client.post("/accounts/logout/")
    # Not only the cookie: the stored session (who, when, the second factor) is gone, and
    # the old cookie opens nothing.
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get("/my/").status_code == 302


def test_the_api_answers_carry_the_security_headers(client: Client) -> None:
    response = client.get("/api/rounds/current")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Content-Type"].startswith("application/json")
