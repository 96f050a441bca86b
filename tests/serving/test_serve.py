"""``make serve``'s set-up answers as production does: gunicorn's workers behind one port, the
pages in Chinese, static files by WhiteNoise under hashed names with compressed copies."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from tests.serving.harness import ServedSystem, clone_database, drop_database, http_get


@pytest.fixture
def system(pg_url: str, serve_template: str, serve_var: Path):
    url = clone_database(pg_url, serve_template, "jifen_serve_smoke")
    node = ServedSystem(database_url=url, var_dir=serve_var, redis_url="redis://127.0.0.1:6379/14")
    with node:
        yield node
    drop_database(pg_url, "jifen_serve_smoke")


def test_home_page_and_static_files(system: ServedSystem) -> None:
    status, body = http_get(f"{system.url}/")
    assert status == 200
    assert "北京市积分落户管理信息系统" in body
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', body)
    assert stylesheet, "the page links its stylesheet"
    # Hashed name (ManifestStaticFilesStorage): path.0123456789ab.css.
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1))
    request = urllib.request.Request(
        system.url + stylesheet.group(1), headers={"Accept-Encoding": "br, gzip"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "br"
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["Server"] == "gunicorn"


def test_health_endpoints(system: ServedSystem) -> None:
    status, body = http_get(f"{system.url}/healthz/live")
    assert status == 200
    status, body = http_get(f"{system.url}/healthz/ready")
    assert status == 200
    assert '"database": {"status": "ok"}' in body
    assert '"cache": {"status": "ok"}' in body
