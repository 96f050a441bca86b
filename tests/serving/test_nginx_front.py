"""deploy/nginx/jifen.conf at run time, in front of a node of the production set-up: plain HTTP
answers the health probes and sends the rest to HTTPS, /metrics is refused, HTTPS speaks HTTP/2,
the application's security headers pass once (nginx adds no second copy), a body over the limit
is refused with nginx's Chinese page, and — the point of overwriting X-Forwarded-For — a client
cannot choose the address the lock-out counts.

Skipped where Debian's nginx is not installed (``make deploy-deps``)."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.test_nginx_config import NGINX, installed_copy, needs_nginx
from tests.serving.harness import (
    ServedSystem,
    WebSession,
    clone_database,
    drop_database,
    free_port,
)

pytestmark = needs_nginx

DATABASE = "jifen_scaleout_nginx"
REDIS_URL = "redis://127.0.0.1:6379/3"
LOCKOUT_MESSAGE = "连续登录失败5次，已暂停从该地址登录"


@dataclass
class Front:
    node: ServedSystem
    http: str
    https: str
    https_port: int
    tls: ssl.SSLContext
    world: dict[str, str]


def _nginx_conf(tmp_path: Path, node: ServedSystem, http_port: int, https_port: int) -> Path:
    main = installed_copy(tmp_path)
    site = tmp_path / "jifen.conf"
    text = site.read_text()
    # This machine: the one node, the test's ports, IPv4 only.
    text = re.sub(r"    server 10\.0\.1\.11:8000 .*;\n    server 10\.0\.1\.12:8000 .*;",
                  f"    server 127.0.0.1:{node.port};", text)
    text = re.sub(r"\n    listen \[::\]:\d+[^;]*;", "", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site.write_text(text)
    main.write_text(
        main.read_text().replace(
            "http {\n",
            f"http {{\n  client_body_temp_path {tmp_path}/body;\n"
            f"  proxy_temp_path {tmp_path}/proxy;\n",
        )
    )
    return main


@pytest.fixture(scope="module")
def front(
    pg_url: str, serve_template: str, serve_var: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Front]:
    url = clone_database(pg_url, serve_template, DATABASE)
    # Behind the proxy as in production: X-Forwarded-Proto and -For are believed.
    node = ServedSystem(
        database_url=url, var_dir=serve_var, redis_url=REDIS_URL,
        extra_env={"BEHIND_TLS_PROXY": "1", "AUDIT_TRUST_X_FORWARDED_FOR": "1"},
    )
    made = node.manage(
        "shell", "-c",
        "from tests.factories import make_applicant; "
        "print(make_applicant('nginx-applicant', name='吴前端').username)",
    )
    assert made.returncode == 0, made.stderr[-3000:]
    tmp_path = tmp_path_factory.mktemp("nginx")
    http_port, https_port = free_port(), free_port()
    main = _nginx_conf(tmp_path, node, http_port, https_port)
    # As root, nginx's workers would run as nobody and could not read the test's folders.
    user = "user root root;" if os.geteuid() == 0 else ""
    nginx = None
    try:
        node.start()
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main),
             "-g", f"daemon off; {user}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None, nginx.stderr.read().decode() if nginx.stderr else ""
                time.sleep(0.2)
        tls = ssl.create_default_context(cafile=str(tmp_path / "tls" / "jifen.fullchain.pem"))
        tls.check_hostname = False  # the certificate names jifen.example.gov.cn
        yield Front(node, f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}",
                    https_port, tls, {"applicant": "nginx-applicant"})
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        node.stop()
        drop_database(pg_url, DATABASE)


def _get(url: str, tls: ssl.SSLContext | None = None) -> tuple[int, dict[str, list[str]], str]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=tls), _NoRedirect()
    )
    try:
        with opener.open(url, timeout=15) as response:
            headers = _headers(response.headers)
            return response.status, headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, _headers(error.headers), error.read().decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _headers(message: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in message.items():  # type: ignore[attr-defined]
        out.setdefault(name.lower(), []).append(value)
    return out


def test_plain_http_answers_probes_and_redirects_the_rest(front: Front) -> None:
    status, _, body = _get(f"{front.http}/healthz/live")
    assert status == 200 and '"status": "ok"' in body
    status, _, body = _get(f"{front.http}/healthz/ready")
    assert status == 200 and '"database": {"status": "ok"}' in body
    status, headers, _ = _get(f"{front.http}/accounts/login/?next=/my/")
    assert status == 301
    assert headers["location"] == ["https://127.0.0.1/accounts/login/?next=/my/"]
    assert _get(f"{front.http}/metrics")[0] == 404


def test_https_passes_the_applications_headers_once(front: Front) -> None:
    status, headers, body = _get(f"{front.https}/", front.tls)
    assert status == 200
    assert "北京市积分落户管理信息系统" in body
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options",
                 "referrer-policy"):
        assert len(headers.get(name, [])) == 1, (name, headers.get(name))
    assert headers["server"] == ["nginx"]  # no version
    assert _get(f"{front.https}/metrics", front.tls)[0] == 404


def test_https_offers_http2(front: Front) -> None:
    context = ssl.create_default_context(cafile=None)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", front.https_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="jifen.example.gov.cn") as tls:
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_body_over_the_limit_is_refused_in_chinese(front: Front) -> None:
    context = front.tls
    request = (
        "POST /my/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {13 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", front.https_port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="jifen.example.gov.cn") as tls:
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert "上传的文件过大" in body.decode("utf-8")


def test_a_client_cannot_choose_the_address_the_lock_out_counts(front: Front) -> None:
    """Each attempt claims another address in X-Forwarded-For; nginx replaces it with the
    address it saw, so the five failures count against one address and the sixth is refused."""
    login = f"{front.https}/accounts/login/"
    replies = []
    for n in range(6):
        browser = WebSession(forwarded_for=f"203.0.113.{n + 1}", tls=front.tls)
        page = browser.get(login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token, page.status
        password = "Wrong-passw0rd-for-the-test!" if n < 5 else "Jifen-test-Passw0rd!"
        replies.append(browser.request(
            "POST", login,
            form={"csrfmiddlewaretoken": token.group(1), "username": front.world["applicant"],
                  "password": password},
            # What a browser on the standard port sends (nginx passes Host without the port).
            headers={"Referer": "https://127.0.0.1/accounts/login/"},
        ))
    assert [r.status for r in replies[:4]] == [200] * 4, [r.status for r in replies]
    assert replies[5].status == 429
    assert LOCKOUT_MESSAGE in replies[5].body
