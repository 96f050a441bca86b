"""The serving stack's settings: the shared cache chosen by REDIS_URL (Redis, else the database
table — never a per-process memory cache), sessions through it, the database pool, and the
health endpoints answering over plain HTTP while everything else is sent to HTTPS."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest
from django.test import Client, override_settings

from tests.web.test_project_settings import AUDIT_KEY, FIELD_KEY, STRONG_KEY

SERVING_ENV = ("REDIS_URL", "DATABASE_URL", "DATABASE_POOL_MAX_SIZE", "DATABASE_POOL_MIN_SIZE",
               "DATABASE_POOL_TIMEOUT", "DATABASE_CONN_MAX_AGE", "BEHIND_TLS_PROXY")


def production_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """jifen.settings.production imported afresh (base too: the cache and the database are read
    from the environment there) with the production secrets and ``env``."""
    for name in SERVING_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", FIELD_KEY)
    monkeypatch.setenv("AUDIT_CHAIN_KEY", AUDIT_KEY)
    monkeypatch.setenv("ALLOWED_HOSTS", "jifen.example.cn")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for module in ("jifen.settings.production", "jifen.settings.base"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return importlib.import_module("jifen.settings.production")


def test_without_redis_the_cache_is_the_database_table(monkeypatch: pytest.MonkeyPatch) -> None:
    production = production_settings(monkeypatch)
    cache = production.CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert cache["LOCATION"] == "jifen_cache"  # manage.py createcachetable makes it


def test_with_redis_url_the_cache_is_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    production = production_settings(monkeypatch, REDIS_URL="redis://10.0.0.5:6379/1")
    cache = production.CACHES["default"]
    # Django's Redis backend, keeping one client per connection pool (jifen.core.redis_cache).
    assert cache["BACKEND"] == "jifen.core.redis_cache.RedisCache"
    assert cache["LOCATION"] == "redis://10.0.0.5:6379/1"


def test_sessions_go_through_the_cache_to_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    production = production_settings(monkeypatch, REDIS_URL="redis://10.0.0.5:6379/1")
    assert production.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_no_memory_cache_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ({}, {"REDIS_URL": "redis://10.0.0.5:6379/1"}):
        production = production_settings(monkeypatch, **env)
        for alias, cache in production.CACHES.items():
            assert "locmem" not in cache["BACKEND"], alias
            assert "dummy" not in cache["BACKEND"], alias


def test_database_pool_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    production = production_settings(
        monkeypatch, DATABASE_URL="postgres://jifen@db.internal:5432/jifen",
        DATABASE_POOL_MAX_SIZE="8", DATABASE_POOL_TIMEOUT="5",
    )
    db = production.DATABASES["default"]
    assert db["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 5.0}
    # A pool keeps connections itself: Django's persistent connections must be off.
    assert db["CONN_MAX_AGE"] == 0


def test_without_a_pool_size_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    production = production_settings(
        monkeypatch, DATABASE_URL="postgres://jifen@db.internal:5432/jifen",
        DATABASE_CONN_MAX_AGE="60",
    )
    db = production.DATABASES["default"]
    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60


def test_proxy_header_only_behind_a_tls_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not hasattr(production_settings(monkeypatch), "SECURE_PROXY_SSL_HEADER")
    behind = production_settings(monkeypatch, BEHIND_TLS_PROXY="1")
    assert behind.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.django_db
def test_health_endpoints_answer_over_http_while_pages_redirect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production = production_settings(monkeypatch)
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=production.SECURE_REDIRECT_EXEMPT
    ):
        client = Client()  # its middleware is built under these settings
        live = client.get("/healthz/live")
        assert live.status_code == 200
        home = client.get("/")
        assert home.status_code == 301
        assert home["Location"] == "https://testserver/"
        login = client.get("/accounts/login/?next=/dashboard/")
        assert login.status_code == 301
        assert login["Location"] == "https://testserver/accounts/login/?next=/dashboard/"
        # /metrics is not redirected either (Prometheus scrapes it over HTTP from this
        # machine); from elsewhere it is refused, not sent to HTTPS.
        metrics = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
        assert metrics.status_code != 301
        # Over HTTPS (the proxy's X-Forwarded-Proto or a TLS connection) no redirect.
        secure = client.get("/", secure=True)
        assert secure.status_code == 200
