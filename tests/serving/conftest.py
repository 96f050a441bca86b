"""The serving, scale-out and fault tests run real processes of the production set-up
(``deploy/serve.sh``) on PostgreSQL and Redis: in the PostgreSQL pass of the suite
(DATABASE_URL names a PostgreSQL server) with Redis answering on 127.0.0.1:6379."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving.harness import drop_database, migrated_template

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _why_not() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "the production set-up runs in the PostgreSQL pass (DATABASE_URL set)"
    if not _redis_answers():
        return f"Redis does not answer on {REDIS_HOST}:{REDIS_PORT}"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _why_not()
    if reason:
        here = Path(__file__).parent
        for item in items:
            if Path(str(item.fspath)).is_relative_to(here):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def pg_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def serve_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of the served systems of this session (secrets, static files, logs)."""
    return tmp_path_factory.mktemp("serve-var")


@pytest.fixture(scope="session")
def serve_template(pg_url: str, serve_var: Path) -> Iterator[str]:
    """The name of a migrated database the systems are cloned from (made once per session)."""
    name = f"jifen_serve_tpl_{os.getpid()}"
    migrated_template(pg_url, name, serve_var)
    yield name
    drop_database(pg_url, name)
    shutil.rmtree(serve_var / "prometheus", ignore_errors=True)
