"""The public list's rendered pages in the shared cache (jifen.publication.page_cache): served
without a query to visitors, never after a re-publication or outside the window, never shared
with or from a signed-in person's page."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from jifen.publication import page_cache, services
from jifen.publication.models import ListedEntry

from .world import listed_round, make_run, set_windows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    # An in-memory cache, as Redis is in production: a hit costs no query (the test settings'
    # cache is a database table, whose reads would be counted as queries).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def test_a_visitor_is_served_the_page_without_a_query(published, django_assert_num_queries):
    first = Client().get("/gongshi/2026/", {"q": "王"})
    with django_assert_num_queries(0):
        again = Client().get("/gongshi/2026/", {"q": "王"})
    assert again.status_code == 200
    assert again.content == first.content
    assert "王素芳" in again.content.decode()
    assert again["Content-Type"] == "text/html; charset=utf-8"


def test_each_query_and_page_has_its_own_entry(published):
    client = Client()
    client.get("/gongshi/2026/")
    html = client.get("/gongshi/2026/", {"q": "李建国"}).content.decode()
    assert "李建国" in html and "王素芳" not in html and "查询到 1 人" in html
    html = client.get("/gongshi/2026/", {"rank": "3"}).content.decode()
    assert "张伟" in html and "王素芳" not in html


def test_republication_replaces_the_cached_pages_at_once(published, bureau):
    client = Client()
    assert "王素芳" in client.get("/gongshi/2026/").content.decode()
    version = published.round.publication.version
    w = published
    make_run(w.round, [w.apps[3], w.apps[1], w.apps[2], w.apps[0]], admitted=3)
    services.publish(actor=bureau, round=w.round)
    assert w.round.publication.__class__.objects.get(round=w.round).version == version + 1
    html = client.get("/gongshi/2026/").content.decode()
    assert "王素芳" not in html and "刘洋" in html


def test_rows_changed_without_a_new_version_are_not_seen_until_republication(published, bureau):
    """The cache trusts the version: the list changes only through publish()."""
    client = Client()
    client.get("/gongshi/2026/")
    ListedEntry.objects.filter(name="王素芳").update(name="赵改名")
    assert "王素芳" in client.get("/gongshi/2026/").content.decode()
    services.publish(actor=bureau, round=published.round)  # a new version: rows rebuilt
    assert "王素芳" in client.get("/gongshi/2026/").content.decode()
    assert "赵改名" not in client.get("/gongshi/2026/").content.decode()


def test_a_changed_window_is_seen_at_once(published):
    client = Client()
    assert client.get("/gongshi/2026/").status_code == 200
    set_windows(published.round, publication="closed")
    response = client.get("/gongshi/2026/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "公示期已结束" in html and "王素芳" not in html


def test_the_window_closing_by_time_alone_ends_the_cached_page(published):
    client = Client()
    assert "王素芳" in client.get("/gongshi/2026/").content.decode()
    later = published.round.publication_closes + timedelta(seconds=1)
    with mock.patch.object(timezone, "now", return_value=later):
        html = client.get("/gongshi/2026/").content.decode()
    assert "公示期已结束" in html and "王素芳" not in html


def test_a_signed_in_page_is_neither_cached_nor_served_from_the_cache(published):
    visitor = Client()
    visitor.get("/gongshi/2026/")
    person = Client()
    person.force_login(published.applicants[0])
    html = person.get("/gongshi/2026/").content.decode()
    assert "退出登录" in html and published.applicants[0].display_name in html
    again = Client().get("/gongshi/2026/").content.decode()
    assert "退出登录" not in again and "csrfmiddlewaretoken" not in again


def test_the_state_is_dropped_when_the_round_changes(published):
    page_cache.public_state(2026)
    assert cache.get(page_cache.state_key(2026)) is not None
    published.round.save()
    assert cache.get(page_cache.state_key(2026)) is None


def test_an_unknown_year_is_remembered_as_unpublished(django_assert_num_queries):
    assert Client().get("/gongshi/2031/").status_code == 404
    with django_assert_num_queries(0):
        response = Client().get("/gongshi/2031/")
    assert response.status_code == 404 and "尚未公示" in response.content.decode()
    listed_round(2031, n=1, admitted=1)  # the round appears: the remembered absence goes
    assert page_cache.public_state(2031).round is not None


# --- the reverse proxy's few seconds (X-Accel-Expires; deploy/nginx/jifen-public-cache.conf) ---


def test_a_visitors_page_may_be_kept_by_the_proxy_for_the_set_seconds(published, settings):
    settings.PUBLIC_LIST_PROXY_SECONDS = 5
    first = Client().get("/gongshi/2026/")  # rendered
    again = Client().get("/gongshi/2026/", {"page": "1"})  # rendered, then from the cache
    hit = Client().get("/gongshi/2026/")
    for response in (first, again, hit):
        assert response.status_code == 200
        assert response[page_cache.PROXY_HEADER] == "5"
        # The browser itself keeps nothing: nginx follows X-Accel-Expires and drops it.
        assert response["Cache-Control"] == "private, no-store"


def test_the_proxy_never_keeps_a_page_past_the_window(published, settings):
    settings.PUBLIC_LIST_PROXY_SECONDS = 5
    closes = published.round.publication_closes
    with mock.patch.object(timezone, "now", return_value=closes - timedelta(seconds=3.5)):
        response = Client().get("/gongshi/2026/")
    assert response[page_cache.PROXY_HEADER] == "3"
    with mock.patch.object(timezone, "now", return_value=closes - timedelta(seconds=0.5)):
        response = Client().get("/gongshi/2026/")
    assert response.status_code == 200 and "王素芳" in response.content.decode()
    assert page_cache.PROXY_HEADER not in response


def test_the_proxy_keeps_no_signed_in_closed_or_unpublished_page(published, settings):
    settings.PUBLIC_LIST_PROXY_SECONDS = 5
    person = Client()
    person.force_login(published.applicants[0])
    assert page_cache.PROXY_HEADER not in person.get("/gongshi/2026/")
    assert page_cache.PROXY_HEADER not in Client().get("/gongshi/2031/")  # 尚未公示, 404
    set_windows(published.round, publication="closed")
    closed = Client().get("/gongshi/2026/")
    assert "公示期已结束" in closed.content.decode()
    assert page_cache.PROXY_HEADER not in closed


def test_no_proxy_seconds_no_header(published, settings):
    settings.PUBLIC_LIST_PROXY_SECONDS = 0
    response = Client().get("/gongshi/2026/")
    assert response.status_code == 200 and page_cache.PROXY_HEADER not in response


def test_the_lists_api_answer_may_be_kept_too_but_not_its_refusal(published, settings):
    settings.PUBLIC_LIST_PROXY_SECONDS = 5
    response = Client().get("/api/gongshi/2026", {"page": "1"})
    assert response.status_code == 200 and response.json()["count"] == 3
    assert response[page_cache.PROXY_HEADER] == "5"
    refused = Client().get("/api/gongshi/2031")
    assert refused.status_code == 404 and page_cache.PROXY_HEADER not in refused
