"""The public home page."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

# The home page links the lists on show (jifen.publication): it reads the database.
pytestmark = pytest.mark.django_db

PHASES = ["注册", "申报", "单位审核", "部门比对", "复查", "公示", "落户"]


def test_home_page_is_chinese_with_title(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "<title>北京市积分落户管理信息系统</title>" in html
    assert "<h1>北京市积分落户管理信息系统</h1>" in html


def test_home_page_lists_the_phases_in_order(client: Client) -> None:
    html = client.get("/").content.decode()
    names = re.findall(r'<span class="phase-name">([^<]+)</span>', html)
    assert names == PHASES


def test_home_page_loads_nothing_from_other_sites(client: Client) -> None:
    html = client.get("/").content.decode()
    references = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert references, "expected the page to reference its stylesheet"
    external = [ref for ref in references if re.match(r"^(?:[a-z]+:)?//", ref)]
    assert external == []
    assert 'href="/static/web/css/site.css"' in html
    assert finders.find("web/css/site.css") is not None


def test_home_page_sends_security_headers(client: Client) -> None:
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_home_page_refuses_post(client: Client) -> None:
    assert client.post("/").status_code == 405


def test_home_page_says_which_phases_are_open_today(client: Client) -> None:
    """Each step of the process with its window in the current round: open now, to come."""
    from tests.factories import make_round

    make_round(2026)  # declaration open now; the later phases from the default schedule
    html = client.get("/").content.decode()
    phases = re.findall(
        r'<li class="phase( phase-closed)?">.*?<span class="phase-name">([^<]+)</span>\s*'
        r'<span class="phase-state[^"]*">([^<]+)</span>', html, re.S)
    assert [(name, state, bool(closed)) for closed, name, state in phases] == [
        ("注册", "进行中", False), ("申报", "进行中", False), ("单位审核", "进行中", False),
        ("部门比对", "进行中", False), ("复查", "未开始", True), ("公示", "未开始", True),
        ("落户", "未开始", True),
    ]
    assert "办理流程<span class=\"muted small\">（2026年度）</span>" in html
    assert "公示和落户办理" in html and "尚未在本系统开放" not in html
    assert "全流程" not in html
