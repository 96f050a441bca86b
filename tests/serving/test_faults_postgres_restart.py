"""Fault: PostgreSQL goes away and comes back while requests flow. The node runs on a scratch
cluster of this test's own (the shared server is never restarted). While the server is down,
pages answer the Chinese error page and the API a Chinese JSON error (503, no trace), and
/healthz/ready reports the database; once it is back, the same processes serve again — the
connection pool replaces its dead connections before handing them out — without a restart."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.pg_scratch import BINDIR, ScratchCluster, scratch_missing
from tests.serving.harness import (
    ServedSystem,
    api_token,
    node_python,
    page_login,
    process_tree,
    with_database,
)

pytestmark = pytest.mark.skipif(bool(scratch_missing()), reason=scratch_missing() or "ready")

PASSWORD = "Jifen-test-Passw0rd!"
SETUP = """
from tests.factories import make_round, make_applicant
make_round(2026)
make_applicant("restart_applicant")
"""
TRACE_MARKS = ("Traceback", 'File "', "OperationalError", "psycopg", "django.db")


@pytest.fixture
def cluster() -> Iterator[ScratchCluster]:
    c = ScratchCluster()
    try:
        c.init()
        c.start()
        yield c
    finally:
        c.remove()


@pytest.fixture
def node(
    cluster: ScratchCluster, pg_url: str, serve_template: str, serve_var: Path
) -> Iterator[ServedSystem]:
    # The migrated template, copied from the shared server into the scratch cluster.
    url = cluster.createdb("jifen")
    dump = subprocess.run(
        [str(BINDIR / "pg_dump"), "-Fc", "-d", with_database(pg_url, serve_template)],
        check=True, capture_output=True,
    )
    subprocess.run(
        [str(BINDIR / "pg_restore"), "--no-owner", "-h", str(cluster.base), "-p",
         str(cluster.port), "-U", "postgres", "-d", "jifen"],
        input=dump.stdout, check=True, capture_output=True,
    )
    system = ServedSystem(
        database_url=url, var_dir=serve_var, redis_url="redis://127.0.0.1:6379/5",
        gunicorn_workers=2,
        # A request waits this long for a connection before it is answered 503.
        extra_env={"DATABASE_POOL_TIMEOUT": "2", "DATABASE_POOL_MAX_SIZE": "4"},
    )
    node_python(system, SETUP)
    try:
        yield system.start()
    finally:
        system.kill()


class Traffic:
    """Pages and API calls of one signed-in applicant, again and again, each answer kept with
    the time it was asked."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.page = page_login(url, "restart_applicant", PASSWORD)
        self.api = requests.Session()
        token = api_token(url, "restart_applicant", PASSWORD)
        self.api.headers["Authorization"] = f"Bearer {token}"
        # (asked, kind, status, body, answered), times from time.monotonic()
        self.answers: list[tuple[float, str, int, str, float]] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(kind,), daemon=True)
            for kind in ("page", "api", "page", "api")
        ]

    def ask(self, kind: str) -> tuple[float, str, int, str, float]:
        asked = time.monotonic()
        if kind == "page":
            r = self.page.get(f"{self.url}/my/", allow_redirects=False, timeout=30)
        else:
            r = self.api.get(f"{self.url}/api/me", timeout=30)
        return asked, kind, r.status_code, r.text, time.monotonic()

    def _loop(self, kind: str) -> None:
        while not self.stop.is_set():
            self.answers.append(self.ask(kind))
            time.sleep(0.02)

    def __enter__(self) -> Traffic:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


def _clean_failure(kind: str, status: int, body: str) -> None:
    assert status == 503, (kind, status, body[:500])
    assert not any(mark in body for mark in TRACE_MARKS), body[:2000]
    if kind == "api":
        assert json.loads(body) == {
            "code": "unavailable",
            "message": "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。",
            "errors": [],
        }
    else:
        assert "<h1 class=\"page-title\">系统暂时无法访问</h1>" in body
        assert "系统暂时无法访问数据库，您的请求没有办理，请稍后再试。" in body


def test_postgres_restart_under_load(cluster: ScratchCluster, node: ServedSystem) -> None:
    gunicorn = process_tree(node.process.pid)
    traffic = Traffic(node.url)
    with traffic:
        time.sleep(1.0)
        down_at = time.monotonic()
        cluster.stop("fast")
        time.sleep(1.0)
        ready = requests.get(f"{node.url}/healthz/ready", timeout=30)
        during = [traffic.ask("page"), traffic.ask("api")]
        time.sleep(1.0)
        cluster.start()
        up_at = time.monotonic()
        deadline = up_at + 30
        while time.monotonic() < deadline and sum(a[0] >= up_at for a in traffic.answers) < 12:
            time.sleep(0.1)

    # Before: everything answered.
    before = [a for a in traffic.answers if a[4] < down_at]
    assert before and all(a[2] == 200 for a in before), before[:3]
    # While the server was down: refused cleanly, in Chinese, nothing of the error shown.
    assert ready.status_code == 503
    assert "\"database\": {\"status\": \"error\"" in ready.text, ready.text
    for _, kind, status, body, _ in during:
        _clean_failure(kind, status, body)
    for _, kind, status, body, _ in traffic.answers:
        if status != 200:
            _clean_failure(kind, status, body)
    # After: every request asked once the server was back was answered, the first ones too
    # (the pool checks a connection before handing it out), by the same processes.
    after = [a for a in traffic.answers if a[0] >= up_at]
    assert len(after) >= 12, len(after)
    failed = [(kind, status, body[:300]) for _, kind, status, body, _ in after if status != 200]
    assert failed == [], failed
    assert {a[1] for a in after} == {"page", "api"}
    assert requests.get(f"{node.url}/healthz/ready", timeout=30).status_code == 200
    assert process_tree(node.process.pid) == gunicorn, "no process was restarted"

