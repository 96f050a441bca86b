"""deploy/nginx/jifen.conf is a configuration nginx accepts (``nginx -t``), and it keeps the
promises docs/deploy.md makes of it: X-Forwarded-For overwritten, upload limits matching the
application's, kept-alive connections closed before gunicorn closes them, /metrics refused.

Skipped where Debian's nginx is not installed (``make deploy-deps`` installs it)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
CONF = (NGINX_DIR / "jifen.conf").read_text()
PROXY = (NGINX_DIR / "jifen-proxy.conf").read_text()
PUBLIC_CACHE = (NGINX_DIR / "jifen-public-cache.conf").read_text()
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
# The tests that run nginx itself.
needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="Debian's nginx is not installed (make deploy-deps)"
)


def self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jifen.example.gov.cn")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "jifen.fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "jifen.key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )


def installed_copy(tmp_path: Path) -> Path:
    """The example as installed, with its paths moved under ``tmp_path``, inside a minimal
    nginx.conf; returns that file."""
    (tmp_path / "tls").mkdir()
    self_signed(tmp_path / "tls")
    (tmp_path / "srv" / "static").mkdir(parents=True)
    (tmp_path / "cache").mkdir()  # /var/cache/nginx, which Debian's package makes
    shutil.copytree(NGINX_DIR / "errors", tmp_path / "srv" / "errors")
    site = (
        CONF.replace("/etc/nginx/jifen-", f"{tmp_path}/jifen-")
        .replace("/etc/nginx/tls/", f"{tmp_path}/tls/")
        .replace("/srv/jifen", str(tmp_path / "srv"))
        .replace("/var/cache/nginx/", f"{tmp_path}/cache/")
    )
    (tmp_path / "jifen.conf").write_text(site)
    for include in NGINX_DIR.glob("jifen-*.conf"):
        shutil.copyfile(include, tmp_path / include.name)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/jifen.conf;\n}}\n"
    )
    return main


@needs_nginx
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    main = installed_copy(tmp_path)
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(main)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


@needs_nginx
def test_nginx_refuses_a_broken_copy(tmp_path: Path) -> None:
    """The check above can fail: the same file without its proxy settings is refused."""
    main = installed_copy(tmp_path)
    (tmp_path / "jifen-proxy.conf").write_text("proxy_set_header X-Forwarded-For;\n")
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(main)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "invalid number of arguments" in result.stderr


def _megabytes(value: str) -> int:
    number, unit = int(value[:-1]), value[-1].lower()
    return number * {"k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_forwarded_headers_are_overwritten_never_appended() -> None:
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in PROXY
    assert "proxy_add_x_forwarded_for" not in PROXY + CONF
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in PROXY


def test_upload_limits_match_the_application() -> None:
    server_wide = re.findall(r"^    client_max_body_size (\S+);", CONF, re.M)
    assert [_megabytes(v) for v in server_wide] == [12 * 1024**2]
    assert _megabytes("12m") > settings.EVIDENCE_MAX_BYTES
    for path in ("= /review/compare/", "= /api/review/comparisons"):
        block = CONF.split(f"location {path} {{", 1)[1].split("}", 1)[0]
        size = re.search(r"client_max_body_size (\S+);", block)
        assert size, path
        assert _megabytes(size.group(1)) > settings.COMPARISON_MAX_BYTES


def test_kept_alive_connections_close_before_gunicorns() -> None:
    nginx_idle = int(re.search(r"keepalive_timeout (\d+)s;", CONF).group(1))
    gunicorn = (ROOT / "deploy" / "gunicorn" / "gunicorn.conf.py").read_text()
    gunicorn_idle = int(re.search(r'GUNICORN_KEEPALIVE", "(\d+)"', gunicorn).group(1))
    assert nginx_idle < gunicorn_idle


def test_metrics_and_health_on_plain_http() -> None:
    plain = CONF.split("listen 80;", 1)[1].split("# --- HTTPS", 1)[0]
    assert "location /healthz/ {" in plain and "proxy_pass http://jifen_app;" in plain
    assert "location = /metrics {\n        return 404;" in plain
    assert "return 301 https://$host$request_uri;" in plain
    secure = CONF.split("# --- HTTPS", 1)[1]
    assert "location = /metrics {\n        return 404;" in secure


def _directives(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_the_public_list_cache_keeps_only_what_the_application_marks() -> None:
    """Only answers with X-Accel-Expires are kept (no proxy_cache_valid: no default lifetime),
    and a request with a session or message cookie neither meets nor fills the cache."""
    directives = _directives(PUBLIC_CACHE)
    assert not any(d.startswith("proxy_cache_valid") for d in directives)
    assert "proxy_cache_valid" not in CONF
    assert "X-Accel-Expires" not in " ".join(d for d in directives
                                             if d.startswith("proxy_ignore_headers"))
    cookies = {f"$cookie_{settings.SESSION_COOKIE_NAME}", "$cookie_messages"}
    from django.contrib.messages.storage.cookie import CookieStorage

    assert CookieStorage.cookie_name == "messages"
    for name in ("proxy_cache_bypass", "proxy_no_cache"):
        line = next(d for d in directives if d.startswith(name + " "))
        assert set(line.rstrip(";").split()[1:]) == cookies, line
    # Only the list's two locations use it, each after the proxy settings.
    secure = CONF.split("# --- HTTPS", 1)[1]
    for path in ("/gongshi/", "/api/gongshi/"):
        block = secure.split(f"location {path} {{", 1)[1].split("}", 1)[0]
        assert block.index("jifen-proxy.conf") < block.index("jifen-public-cache.conf")
    assert secure.count("include /etc/nginx/jifen-public-cache.conf;") == 2
