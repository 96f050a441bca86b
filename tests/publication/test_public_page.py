"""The public list (no login): its window states, search, pagination, cache, downloads and the
home page's link."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from jifen.publication import selectors, services
from jifen.publication.models import ListedEntry

from .world import listed_round, make_run, set_windows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_list_is_public_with_masked_numbers(published):
    response = Client().get("/gongshi/2026/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "北京市2026年积分落户公示名单" in html
    assert "王素芳" in html and "北京星河科技有限公司" in html
    number = published.applicants[0].applicant.id_number
    assert number not in html
    assert f"{number[:6]}********{number[-4:]}" in html
    assert "合法稳定就业" in html and "111.96" in html
    assert "-10.21" in html
    # Not admitted: not shown.
    assert published.apps[3].number not in html


def test_search_by_name_employer_and_rank(published):
    client = Client()
    html = client.get("/gongshi/2026/", {"q": "李建国"}).content.decode()
    assert "李建国" in html and "王素芳" not in html and "查询到 1 人" in html
    html = client.get("/gongshi/2026/", {"q": "京东方"}).content.decode()
    assert "李建国" in html and "张伟" not in html
    html = client.get("/gongshi/2026/", {"rank": "3"}).content.decode()
    assert "张伟" in html and "王素芳" not in html
    html = client.get("/gongshi/2026/", {"q": "没有这个人"}).content.decode()
    assert "没有符合条件的人员" in html
    # Junk parameters are ignored, not errors.
    assert client.get("/gongshi/2026/", {"rank": "abc", "page": "-1"}).status_code == 200


def test_pagination(bureau):
    w = listed_round(n=4, admitted=3)
    # 120 listed entries: three pages of 50.
    services.publish(actor=bureau, round=w.round)
    pub = w.round.publication
    first = ListedEntry.objects.get(publication=pub, rank=1)
    ListedEntry.objects.bulk_create(
        [
            ListedEntry(
                publication=pub,
                position=10 + i,
                rank=10 + i,
                name=f"测试{i}",
                id_masked="110105********0000",
                application_no=str(i),
                scores=first.scores,
                total=first.total,
            )
            for i in range(117)
        ]
    )
    pub.version += 1  # rows added behind the service's back: a new cache key
    pub.save()
    client = Client()
    html = client.get("/gongshi/2026/").content.decode()
    assert "第 1 / 3 页" in html
    html = client.get("/gongshi/2026/", {"page": "3"}).content.decode()
    assert "第 3 / 3 页" in html and "测试116" in html and "王素芳" not in html


def test_served_from_the_cache_without_reading_the_list(published, django_assert_max_num_queries):
    client = Client()
    client.get("/gongshi/2026/", {"q": "王"})
    with django_assert_max_num_queries(3):  # the round and the publication's version only
        response = client.get("/gongshi/2026/", {"q": "王"})
    assert "王素芳" in response.content.decode()


def test_republish_invalidates_the_cached_pages(published, bureau):
    client = Client()
    assert "王素芳" in client.get("/gongshi/2026/").content.decode()
    w = published
    make_run(w.round, [w.apps[3], w.apps[1], w.apps[2], w.apps[0]], admitted=3)
    services.publish(actor=bureau, round=w.round)
    html = client.get("/gongshi/2026/").content.decode()
    assert "王素芳" not in html and "刘洋" in html


def test_before_the_window_the_page_says_not_yet_published(bureau):
    w = listed_round(n=2, admitted=1)
    services.publish(actor=bureau, round=w.round)
    set_windows(w.round, publication="upcoming")
    response = Client().get("/gongshi/2026/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "尚未公示" in html and "王素芳" not in html


def test_in_the_window_but_nothing_published_is_not_yet_published():
    listed_round(n=2, admitted=1)
    response = Client().get("/gongshi/2026/")
    assert response.status_code == 404 and "尚未公示" in response.content.decode()
    assert Client().get("/gongshi/1999/").status_code == 404


def test_after_the_period_the_page_closes(published):
    set_windows(published.round, publication="closed")
    response = Client().get("/gongshi/2026/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "公示期已结束" in html
    assert "王素芳" not in html and "gongshi-table" not in html
    assert Client().get("/gongshi/2026/download/csv/").status_code == 404


def test_downloads_from_the_page(published):
    client = Client()
    html = client.get("/gongshi/2026/").content.decode()
    for kind in ("csv", "xlsx", "pdf"):
        assert f"/gongshi/2026/download/{kind}/" in html
    response = client.get("/gongshi/2026/download/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    pdf = client.get("/gongshi/2026/download/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get("/gongshi/2026/download/exe/").status_code == 404


def test_home_page_links_the_list_while_on_show(published):
    html = Client().get("/").content.decode()
    assert "/gongshi/2026/" in html and "2026年积分落户公示名单" in html
    set_windows(published.round, publication="closed")
    assert "/gongshi/2026/" not in Client().get("/").content.decode()


def test_on_show_lists_only_open_lists(published):
    assert [s.year for s in selectors.on_show()] == [2026]
