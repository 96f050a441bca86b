"""Scale-out without a home-made piece: two application nodes (``deploy/serve.sh``, gunicorn
with its workers) on different ports share ONE PostgreSQL database and ONE Redis database, with
one task worker. What a person starts on node A holds on node B — their session, a lock-out, an
address throttle — and a scoring run started on A is followed to its end on B. (The task worker
is started once the run is queued, so that B is seen to find the run waiting, then working,
then done; the round is small and scores in a second or two.)

A load balancer would send each request of one browser to either node; here the test chooses
the node per request. Every request carries a client address in X-Forwarded-For (the nodes
trust it, as behind the nginx of deploy/nginx/), so that the lock-out and throttle tests each
have an address of their own in the shared database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django_otp.oath import totp

from tests.serving.harness import (
    ServedSystem,
    WebSession,
    clone_database,
    drop_database,
    start_manage,
)

DATABASE = "jifen_scaleout_two_nodes"
REDIS_URL = "redis://127.0.0.1:6379/2"
APPLICATIONS = 120
WRONG_PASSWORD = "Wrong-passw0rd-for-the-test!"
LOCKOUT_MESSAGE = "连续登录失败5次，已暂停从该地址登录"
ADDRESS_MESSAGE = "您当前的网络地址登录失败次数过多，已暂停登录"
LOGIN_TITLE = "<title>登录"


@dataclass
class TwoNodes:
    a: ServedSystem
    b: ServedSystem
    world: dict[str, Any]


@pytest.fixture(scope="module")
def nodes(pg_url: str, serve_template: str, serve_var: Path) -> Iterator[TwoNodes]:
    url = clone_database(pg_url, serve_template, DATABASE)
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    common = {
        "database_url": url,
        "var_dir": serve_var,  # one set of keys, as every node of a deployment shares them
        "redis_url": REDIS_URL,
        "extra_env": {"AUDIT_TRUST_X_FORWARDED_FOR": "1"},
    }
    a = ServedSystem(**common)
    b = ServedSystem(**common)
    built = a.manage(
        "shell", "-c",
        f"from tests.serving.scaleout_world import main; main({APPLICATIONS})",
    )
    assert built.returncode == 0, built.stderr[-3000:]
    world = json.loads(built.stdout.strip().splitlines()[-1])
    try:
        a.start()
        b.start()
        yield TwoNodes(a, b, world)
    finally:
        b.stop()
        a.stop()
        client.flushdb()
        drop_database(pg_url, DATABASE)


def log_in(session: WebSession, node: ServedSystem, username: str, password: str) -> Any:
    return session.submit(
        f"{node.url}/accounts/login/", {"username": username, "password": password}
    )


def test_a_session_started_on_a_holds_on_b(nodes: TwoNodes) -> None:
    browser = WebSession(forwarded_for="198.51.100.10")
    signed_in = log_in(browser, nodes.a, nodes.world["applicant"], nodes.world["password"])
    assert signed_in.status == 302, signed_in.body[-2000:]
    session_key = browser.cookie("sessionid")
    assert session_key

    # The same cookie on node B: the applicant's own page, not the login page.
    dashboard = browser.get(f"{nodes.b.url}/dashboard/")
    assert dashboard.status == 302 and dashboard.headers["Location"] == "/my/"
    page = browser.get(f"{nodes.b.url}/my/")
    assert page.status == 200
    assert nodes.world["applicant_name"] in page.body
    assert LOGIN_TITLE not in page.body
    # A browser without the cookie is sent to the login page by B.
    stranger = WebSession(forwarded_for="198.51.100.11").get(f"{nodes.b.url}/dashboard/")
    assert stranger.status == 302 and "/accounts/login/" in stranger.headers["Location"]

    # The session is in the shared Redis (cached_db: also in the database, so a restarted
    # cache signs nobody out).
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{session_key}")
    assert keys, "the session is in the shared cache"

    # Signing out on B ends it on A too.
    logout = browser.submit(f"{nodes.b.url}/accounts/logout/", {}, page_url=f"{nodes.b.url}/my/")
    assert logout.status == 302
    again = browser.get(f"{nodes.a.url}/dashboard/")
    assert again.status == 302 and "/accounts/login/" in again.headers["Location"]


def test_a_lock_out_started_on_a_holds_on_b(nodes: TwoNodes) -> None:
    browser = WebSession(forwarded_for="198.51.100.20")
    user, password = nodes.world["applicant"], nodes.world["password"]
    for attempt in range(1, 5):
        failed = log_in(browser, nodes.a, user, WRONG_PASSWORD)
        assert failed.status == 200, f"attempt {attempt}"
        assert "用户名或密码不正确" in failed.body
    fifth = log_in(browser, nodes.a, user, WRONG_PASSWORD)
    assert fifth.status == 429

    # The sixth attempt, on B and with the right password, is refused the same way.
    sixth = log_in(browser, nodes.b, user, password)
    assert sixth.status == 429
    assert LOCKOUT_MESSAGE in sixth.body
    assert int(sixth.headers["Retry-After"]) > 25 * 60
    assert browser.cookie("sessionid") is None
    # The owner at another address is not locked out, on either node.
    elsewhere = WebSession(forwarded_for="198.51.100.21")
    assert log_in(elsewhere, nodes.b, user, password).status == 302


def test_an_address_throttle_started_on_a_holds_on_b(nodes: TwoNodes) -> None:
    # One address trying many accounts: 20 failures within 10 minutes, spread over both nodes.
    browser = WebSession(forwarded_for="198.51.100.30")
    for n in range(20):
        node = nodes.a if n % 2 == 0 else nodes.b
        reply = log_in(browser, node, f"guess-{n}", WRONG_PASSWORD)
        assert reply.status in (200, 429), reply.status
    # Any account, even with its password, on either node: refused for the address.
    for node in (nodes.a, nodes.b):
        refused = log_in(browser, node, nodes.world["bureau"], nodes.world["password"])
        assert refused.status == 429
        assert ADDRESS_MESSAGE in refused.body
    # Another address is not affected.
    other = WebSession(forwarded_for="198.51.100.31")
    assert log_in(other, nodes.b, nodes.world["applicant"], nodes.world["password"]).status == 302


def staff_sign_in(browser: WebSession, node: ServedSystem, world: dict[str, Any]) -> None:
    """Password, then the authenticator's current code (the second factor)."""
    first = log_in(browser, node, world["bureau"], world["password"])
    assert first.status == 302, first.body[-2000:]
    code = f"{totp(bytes.fromhex(world['totp_key'])):06d}"
    second = browser.submit(f"{node.url}/accounts/second-factor/", {"code": code})
    assert second.status == 302, second.body[-2000:]


def test_a_scoring_run_started_on_a_is_followed_on_b(nodes: TwoNodes) -> None:
    world, year = nodes.world, nodes.world["year"]
    browser = WebSession(forwarded_for="198.51.100.40")
    staff_sign_in(browser, nodes.a, world)

    page = f"{nodes.a.url}/rounds/{year}/scoring/"
    started = browser.submit(page, {"action": "start"})
    assert started.status == 302, started.body[-2000:]
    shown = browser.get(page)
    assert "积分评定批次已开始" in shown.body

    # B knows the run (the API, with the same session): queued for the task worker.
    runs = browser.get(f"{nodes.b.url}/api/rounds/{year}/scoring/runs")
    assert runs.status == 200, runs.body
    run = json.loads(runs.body)[0]
    assert (run["state"], run["state_name"]) == ("queued", "排队中")
    # A second start, on B, is refused while the run is under way.
    second = browser.submit(f"{nodes.b.url}/rounds/{year}/scoring/", {"action": "start"})
    assert second.status == 409
    assert f"{year}年度已有一个积分评定批次（第 {run['run']} 号）排队中" in second.body

    # The task worker takes it; B follows it to its end.
    worker = start_manage(nodes.a, "db_worker", "--no-reload")
    try:
        seen: list[tuple[str, int]] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            reply = browser.get(f"{nodes.b.url}/rounds/{year}/scoring/runs/{run['run']}/status/")
            assert reply.status == 200, reply.body
            status = json.loads(reply.body)
            seen.append((status["state"], status["percent"]))
            if status["finished"]:
                break
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert seen[-1] == ("done", 100), seen
    percents = [percent for state, percent in seen if state != "queued"]
    assert percents == sorted(percents), "progress only moves forward"
    outcome = status["outcome"]
    assert outcome["applications"] == APPLICATIONS
    # The applications with a criminal record are not eligible.
    assert outcome["eligible"] == APPLICATIONS - world["not_eligible"]
    assert outcome["admitted"] == outcome["eligible"]  # the quota (6,000) takes them all

    # B's page shows the finished run as the round's current result.
    results = browser.get(f"{nodes.b.url}/rounds/{year}/scoring/")
    assert results.status == 200
    assert f"第 {run['run']} 号" in results.body or str(run["run"]) in results.body
    assert "已完成" in results.body

