"""Settings: database selection, base defaults, test and production variants."""

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from jifen.settings import base
from jifen.settings.base import database_config

STRONG_KEY = "k3Y-" + "".join(chr(c) for c in range(ord("A"), ord("z"))) + "-9f8e7d6c5b4a"
# 32 random bytes as 64 hex characters each (secrets.token_hex(32)).
FIELD_KEY = "8f3b2c71d04e9a56e1b7c2f08d3a649517ce02b8a9f64d3170e5bc28f91a7d46"
AUDIT_KEY = "2d9e41a7c3f05b86e24d7019ab3c58f6d1e09b724fa38c65e70d12b9c4f8a351"
PRODUCTION_ENV = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "AUDIT_CHAIN_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "BEHIND_TLS_PROXY",
)


# --- database selection ----------------------------------------------------------------------


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    config = database_config(
        {"DATABASE_URL": "postgres://jifen:s3cret@db.example:5433/jifen_prod"}, tmp_path
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("jifen_prod", "jifen", "s3cret")
    assert (config["HOST"], config["PORT"]) == ("db.example", 5433)


def test_postgresql_scheme_is_accepted_too(tmp_path: Path) -> None:
    config = database_config({"DATABASE_URL": "postgresql://postgres@127.0.0.1/test"}, tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "test"


@pytest.mark.parametrize("environ", [{}, {"DATABASE_URL": ""}, {"DATABASE_URL": "  "}])
def test_without_database_url_sqlite_file_under_var(tmp_path: Path, environ: dict) -> None:
    config = database_config(environ, tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == tmp_path / "jifen.sqlite3"


def test_default_sqlite_file_is_in_the_repositorys_var_folder(repo_root: Path) -> None:
    if "JIFEN_VAR_DIR" in os.environ:
        pytest.skip("JIFEN_VAR_DIR moves the var folder")
    var_dir = base.VAR_DIR
    assert var_dir == repo_root / "var"


@pytest.mark.django_db
def test_connected_database_matches_database_url() -> None:
    """Proves the PostgreSQL CI run really runs on PostgreSQL (and the default one on SQLite)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    if not url:
        assert connection.vendor == "sqlite"
    elif url.startswith(("postgres://", "postgresql://")):
        assert connection.vendor == "postgresql"
        # pytest-django's own test database, never the real one.
        assert connection.settings_dict["NAME"] == "test_" + urlparse(url).path.lstrip("/")
    else:
        pytest.skip(f"no expectation for {urlparse(url).scheme}")


# --- base defaults -----------------------------------------------------------------------------


def test_locale_and_time_zone() -> None:
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.USE_TZ is True
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


def test_base_hashes_passwords_with_argon2() -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = Argon2PasswordHasher()  # encode() fails when argon2-cffi is missing
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    assert encoded.startswith("argon2$")
    assert hasher.verify("correct horse battery staple", encoded)


def test_test_settings_use_a_fast_hasher() -> None:
    assert make_password("whatever").startswith("md5$")


def test_session_idle_timeout_is_30_minutes() -> None:
    assert settings.SESSION_COOKIE_AGE == 1800
    # Pushed forward once a minute by jifen.accounts.session_refresh, not on every request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.SESSION_REFRESH_SECONDS == 60


# --- production --------------------------------------------------------------------------------


def load_production(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """Import jifen.settings.production afresh with exactly the given production variables."""
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "jifen.settings.production", raising=False)
    return importlib.import_module("jifen.settings.production")


def test_production_requires_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production(monkeypatch, ALLOWED_HOSTS="jifen.example.cn")


def test_production_rejects_a_weak_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production(monkeypatch, SECRET_KEY="short", ALLOWED_HOSTS="jifen.example.cn")


def test_production_requires_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_production(
            monkeypatch, SECRET_KEY=STRONG_KEY, FIELD_ENCRYPTION_KEY=FIELD_KEY,
            AUDIT_CHAIN_KEY=AUDIT_KEY,
        )


@pytest.mark.parametrize("name", ["FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY"])
def test_production_requires_each_key(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    keys = {"FIELD_ENCRYPTION_KEY": FIELD_KEY, "AUDIT_CHAIN_KEY": AUDIT_KEY}
    del keys[name]
    with pytest.raises(ImproperlyConfigured, match=f"The environment variable {name} must"):
        load_production(
            monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="jifen.example.cn", **keys
        )


WEAK_KEYS = {
    "all zero": ("0" * 64, "it is all zero"),
    "one byte repeated": ("ab" * 32, "a short pattern repeated"),
    "a pattern repeated": ("0123456789abcdef" * 4, "a short pattern repeated"),
    "random half repeated": (FIELD_KEY[:32] * 2, "a short pattern repeated"),
    "counting up": ("".join(f"{i:02x}" for i in range(32)), "a counting sequence"),
    "counting down": ("".join(f"{255 - 3 * i:02x}" for i in range(32)), "a counting sequence"),
    "text as hex": (b"jifen-production-field-key-2025!".hex(), "text written as hex"),
    "few distinct bytes": (("1f2e3d4c5b6a7980" * 4)[:62] + "aa", "only 9 distinct bytes"),
    "too short": (FIELD_KEY[:48], "at least 32 bytes"),
    "not hex": ("z" * 64, "must be hexadecimal"),
}


@pytest.mark.parametrize("name", ["FIELD_ENCRYPTION_KEY", "AUDIT_CHAIN_KEY"])
@pytest.mark.parametrize("weak", list(WEAK_KEYS), ids=list(WEAK_KEYS))
def test_production_refuses_weak_keys(
    monkeypatch: pytest.MonkeyPatch, name: str, weak: str
) -> None:
    value, reason = WEAK_KEYS[weak]
    keys = {"FIELD_ENCRYPTION_KEY": FIELD_KEY, "AUDIT_CHAIN_KEY": AUDIT_KEY, name: value}
    with pytest.raises(ImproperlyConfigured, match=f"{name} is refused: .*{reason}"):
        load_production(
            monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="jifen.example.cn", **keys
        )


def test_production_refuses_one_key_for_both(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="AUDIT_CHAIN_KEY must differ"):
        load_production(
            monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="jifen.example.cn",
            FIELD_ENCRYPTION_KEY=FIELD_KEY, AUDIT_CHAIN_KEY=FIELD_KEY.upper(),
        )


def test_random_keys_pass_the_strength_check() -> None:
    import secrets

    from jifen.core.key_strength import key_problem

    assert [key_problem(secrets.token_hex(32)) for _ in range(2000)] == [None] * 2000


def test_production_with_secrets_is_locked_down(monkeypatch: pytest.MonkeyPatch) -> None:
    production = load_production(
        monkeypatch,
        SECRET_KEY=STRONG_KEY,
        FIELD_ENCRYPTION_KEY=FIELD_KEY,
        AUDIT_CHAIN_KEY=AUDIT_KEY,
        ALLOWED_HOSTS="jifen.example.cn, www.jifen.example.cn",
    )
    assert production.DEBUG is False
    assert production.SECRET_KEY == STRONG_KEY
    assert production.FIELD_ENCRYPTION_KEY == FIELD_KEY
    assert production.AUDIT_CHAIN_KEY == AUDIT_KEY
    assert production.AUDIT_CHECKPOINT_REQUIRED is True
    assert production.ALLOWED_HOSTS == ["jifen.example.cn", "www.jifen.example.cn"]
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert not hasattr(production, "SECURE_PROXY_SSL_HEADER")


def test_check_deploy_is_clean_with_production_settings(repo_root: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        SECRET_KEY=STRONG_KEY, FIELD_ENCRYPTION_KEY=FIELD_KEY, AUDIT_CHAIN_KEY=AUDIT_KEY,
        ALLOWED_HOSTS="jifen.example.cn",
    )
    result = subprocess.run(
        [
            sys.executable,
            str(repo_root / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=jifen.settings.production",
        ],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_leaves_the_demo_out(monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    production = load_production(
        monkeypatch, SECRET_KEY=STRONG_KEY, FIELD_ENCRYPTION_KEY=FIELD_KEY,
        AUDIT_CHAIN_KEY=AUDIT_KEY, ALLOWED_HOSTS="jifen.example.cn",
    )
    assert "jifen.demo" not in production.INSTALLED_APPS
    assert "jifen.applications" in production.INSTALLED_APPS
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        SECRET_KEY=STRONG_KEY, FIELD_ENCRYPTION_KEY=FIELD_KEY, AUDIT_CHAIN_KEY=AUDIT_KEY,
        ALLOWED_HOSTS="jifen.example.cn",
    )
    result = subprocess.run(
        [sys.executable, str(repo_root / "manage.py"), "demo_round",
         "--settings=jifen.settings.production"],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "Unknown command: 'demo_round'" in result.stderr


def test_the_cache_is_shared_between_processes() -> None:
    from jifen.settings.base import cache_config

    assert cache_config({})["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    redis = cache_config({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert redis["BACKEND"] == "jifen.core.redis_cache.RedisCache"  # Django's, clients reused
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_postgresql_connections_check_their_client(tmp_path: Path) -> None:
    # A killed worker's statement is cancelled by the server (tests/serving/
    # test_faults_worker_death.py), not left to commit on its own.
    url = {"DATABASE_URL": "postgres://postgres@127.0.0.1/jifen"}
    config = database_config(url, tmp_path)
    assert config["OPTIONS"]["options"] == "-c client_connection_check_interval=2000"
    assert "options" not in database_config(
        {**url, "DATABASE_CLIENT_CHECK_MS": "0"}, tmp_path
    ).get("OPTIONS", {})


def test_the_pool_retries_a_lost_server_every_second(tmp_path: Path) -> None:
    from psycopg_pool.base import AttemptWithBackoff

    database_config(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1/jifen", "DATABASE_POOL_MAX_SIZE": "4"},
        tmp_path,
    )
    attempt = AttemptWithBackoff(timeout=300)
    delays = []
    for now in (0.0, 1.0, 2.0, 3.0):
        attempt.update_delay(now)
        delays.append(attempt.delay)
    assert max(delays) < 1.2  # not 1, 2, 4, 8
