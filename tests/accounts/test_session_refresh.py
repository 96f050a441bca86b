"""The idle time-out's expiry is pushed forward once a minute, not written on every request
(jifen.accounts.session_refresh): the opening day's pages and autosaves write no session."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jifen.accounts.session_refresh import REFRESHED_AT_KEY
from tests.factories import make_applicant

pytestmark = pytest.mark.django_db


def signed_in() -> Client:
    client = Client()
    client.force_login(make_applicant())
    client.get(reverse("applications:applicant_home"))  # the first page notes the refresh
    return client


def expiry(client: Client):
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key).expire_date


def session_writes(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("applications:applicant_home")).status_code == 200
    return [q["sql"] for q in queries if "django_session" in q["sql"]
            and not q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_page_within_the_minute_writes_no_session() -> None:
    client = signed_in()
    assert isinstance(client.session[REFRESHED_AT_KEY], int)
    before = expiry(client)
    assert session_writes(client) == []
    assert expiry(client) == before


def test_a_page_after_the_minute_pushes_the_expiry_forward() -> None:
    client = signed_in()
    session = client.session
    session[REFRESHED_AT_KEY] = int(time.time()) - settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    writes = session_writes(client)
    assert writes and "UPDATE" in writes[0].upper()
    assert expiry(client) > timezone.now() + timedelta(minutes=29)
    assert client.session[REFRESHED_AT_KEY] >= int(time.time()) - 5


def test_an_idle_session_still_ends() -> None:
    client = signed_in()
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("applications:applicant_home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_visitor_gets_no_session() -> None:
    client = Client()
    client.get(reverse("web:home"))
    assert settings.SESSION_COOKIE_NAME not in client.cookies
    assert Session.objects.count() == 0
