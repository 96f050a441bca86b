"""Sessions: a new key after the second factor, an absolute lifetime, nothing cached."""

from __future__ import annotations

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jifen.accounts.middleware import LOGIN_AT_KEY
from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from tests.accounts.test_second_factor import code_for, enrolled, password_login
from tests.factories import PASSWORD, make_applicant, make_staff

pytestmark = pytest.mark.django_db

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
EIGHT_HOURS = 8 * 3600


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_session_key_changes_when_the_second_factor_is_passed() -> None:
    staff = make_staff(Role.AUDITOR)
    device = enrolled(staff)
    client = password_login(staff)
    before = session_key(client)
    response = client.post(reverse("accounts:otp_verify"), {"code": code_for(device)})
    assert response.status_code == 302
    after = session_key(client)
    assert after != before
    assert not SessionStore().exists(before)
    assert client.get(reverse("staff:home")).status_code == 200


def age_session(client: Client, seconds: int) -> None:
    session = client.session
    session[LOGIN_AT_KEY] = int(time.time()) - seconds
    session.save()


def test_a_session_ends_eight_hours_after_login_however_active() -> None:
    user = make_applicant()
    client = password_login(user)
    assert client.session[LOGIN_AT_KEY] <= time.time()
    age_session(client, EIGHT_HOURS - 60)
    assert client.get(reverse("applications:applicant_home")).status_code == 200

    age_session(client, EIGHT_HOURS + 1)
    response = client.get(reverse("applications:applicant_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    page = client.get(response["Location"]).content.decode()
    assert "登录已超过8小时，为保护您的信息，请重新登录。" in page
    assert "_auth_user_id" not in client.session
    [event] = AuditEvent.objects.filter(action="account.session_expired")
    assert event.actor == user
    # Signing in again starts a new 8 hours.
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert client.get(reverse("applications:applicant_home")).status_code == 200


def test_the_api_session_has_the_same_lifetime() -> None:
    client = password_login(make_applicant())
    assert client.get("/api/me").status_code == 200
    age_session(client, EIGHT_HOURS + 1)
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_session_without_a_login_time_is_ended() -> None:
    client = password_login(make_applicant())
    session = client.session
    del session[LOGIN_AT_KEY]
    session.save()
    assert client.get(reverse("web:dashboard")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_token_endpoint_starts_no_session() -> None:
    user = make_applicant()
    client = Client()
    response = client.post("/api/auth/token", {"username": user.username, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    "path",
    ["/dashboard/", "/my/", "/api/me", "/accounts/password/change/"],
)
def test_nothing_a_signed_in_person_gets_is_stored_by_the_browser(path: str) -> None:
    client = password_login(make_applicant())
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/accounts/register/applicant/", "/accounts/login/", "/api/rounds/current"],
)
def test_anonymous_pages_and_api_answers_are_not_stored_either(path: str) -> None:
    response = Client().get(path)
    assert "no-store" in response["Cache-Control"]


def test_a_refused_registration_with_personal_data_is_not_stored() -> None:
    response = Client().post(reverse("accounts:register_applicant"), {"name": "张晓明",
                             "id_number": "110105199001010011", "phone": "1"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
