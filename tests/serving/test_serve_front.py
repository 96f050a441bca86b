"""``make serve`` with nginx in front (SERVE_FRONT=nginx: deploy/nginx/jifen.conf on plain HTTP,
deploy/nginx/local_front.py): the pages and static files come through nginx, and a visitor's page
of the public list is kept by nginx a few seconds — never a signed-in person's, never past its
X-Accel-Expires.

Skipped where Debian's nginx is not installed (``make deploy-deps``)."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
import redis

from tests.deploy.test_nginx_config import needs_nginx
from tests.serving.harness import (
    ServedSystem,
    WebSession,
    clone_database,
    drop_database,
    free_port,
    node_python,
)

pytestmark = needs_nginx

DATABASE = "jifen_serve_front"
REDIS_URL = "redis://127.0.0.1:6379/12"
PASSWORD = "Front-Serve-2026!"
# A published list of 2026 open now, and a signed-in applicant, made in the node's database.
WORLD = f"""
from jifen.core.roles import Role
from jifen.publication import services
from tests.factories import make_staff
from tests.publication.world import listed_round
w = listed_round(2026, n=4, admitted=3)
services.publish(actor=make_staff(Role.BUREAU_ADMIN), round=w.round)
user = w.applicants[0]
user.set_password({PASSWORD!r})
user.save()
print("WORLD", user.username, user.display_name)
"""


@pytest.fixture(scope="module")
def front(pg_url: str, serve_template: str, serve_var: Path) -> Iterator[ServedSystem]:
    url = clone_database(pg_url, serve_template, DATABASE)
    redis.Redis.from_url(REDIS_URL).flushdb()  # nothing cached by an earlier session
    node = ServedSystem(
        database_url=url, var_dir=serve_var, redis_url=REDIS_URL,
        migrate=True,
        # gunicorn's own port chosen free too (PORT + 1, serve.sh's default, may be taken here).
        extra_env={"SERVE_FRONT": "nginx", "SERVE_APP_PORT": str(free_port()),
                   "PUBLIC_LIST_PROXY_SECONDS": "2"},
    )
    with node:
        yield node
    drop_database(pg_url, DATABASE)


def _get(url: str, **headers: str) -> tuple[int, Message, str]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read().decode()


def test_pages_and_static_files_come_through_nginx(front: ServedSystem) -> None:
    status, headers, body = _get(f"{front.url}/")
    assert status == 200 and "北京市积分落户管理信息系统" in body
    assert headers["Server"] == "nginx"  # no version (server_tokens off)
    # The application's security headers pass once.
    assert headers["X-Frame-Options"] == "DENY"
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', body).group(1)
    status, headers, css = _get(front.url + stylesheet)
    assert status == 200 and headers["Server"] == "nginx" and "{" in css
    # A hashed name never changes: kept a year, said once (no second Cache-Control).
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert headers["Content-Type"].startswith("text/css")


def test_a_visitors_list_page_is_kept_a_few_seconds_by_nginx(front: ServedSystem) -> None:
    line = next(x for x in node_python(front, WORLD).splitlines() if x.startswith("WORLD "))
    _, username, name = line.split()
    list_url = f"{front.url}/gongshi/2026/?page=1"
    statuses = [_get(list_url)[1]["X-Cache-Status"] for _ in range(3)]
    assert statuses[0] == "MISS" and statuses[1:] == ["HIT", "HIT"]
    status, headers, body = _get(list_url)
    assert status == 200 and "王素芳" in body and "退出登录" not in body
    # The application's header is nginx's alone; the browser is still told to keep nothing.
    assert "X-Accel-Expires" not in headers
    assert headers.get_all("Cache-Control") == ["private, no-store"]
    # After PUBLIC_LIST_PROXY_SECONDS (2) the page is asked for again.
    time.sleep(3.5)  # nginx counts whole seconds
    assert _get(list_url)[1]["X-Cache-Status"] in {"EXPIRED", "MISS"}
    assert _get(list_url)[1]["X-Cache-Status"] == "HIT"
    # The API's answer too.
    api = f"{front.url}/api/gongshi/2026?page=1"
    assert [_get(api)[1]["X-Cache-Status"] for _ in range(2)] == ["MISS", "HIT"]

    # A signed-in person never meets the cache: their own page, with their name.
    person = WebSession()
    login = person.get(f"{front.url}/accounts/login/")
    assert login.status == 200
    signed = person.submit(f"{front.url}/accounts/login/",
                           {"username": username, "password": PASSWORD})
    assert signed.status == 302, signed.body[:500]
    mine = person.get(list_url)
    assert mine.status == 200
    assert mine.headers["X-Cache-Status"] == "BYPASS"
    assert name in mine.body and "退出登录" in mine.body
    # … and their page was not kept for the visitors after them.
    status, headers, body = _get(list_url)
    assert headers["X-Cache-Status"] == "HIT"
    assert "nav-user-name" not in body and "退出登录" not in body
