"""psycopg's connection pool is what gunicorn's workers really use: under concurrent requests
the database never sees more connections than workers × DATABASE_POOL_MAX_SIZE, every request
is answered (one waits for a free connection rather than failing), and the connections stay
open between requests — without the pool Django closes its connection at each request's end."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.serving.harness import (
    ServedSystem,
    clone_database,
    database_connections,
    drop_database,
    http_get,
)

DATABASE = "jifen_scaleout_pool"
REDIS_URL = "redis://127.0.0.1:6379/3"
WORKERS, THREADS, POOL = 2, 4, 2


def load(node: ServedSystem, pg_url: str, requests: int = 48) -> tuple[list[int], int]:
    """``requests`` readiness checks (each queries the database), 16 at a time, while the
    connections to the database are counted; returns the statuses and the most seen at once."""
    most, done = 0, threading.Event()

    def count() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, database_connections(pg_url, DATABASE))
            time.sleep(0.02)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(
                lambda _: http_get(f"{node.url}/healthz/ready", timeout=30)[0], range(requests)
            ))
    finally:
        done.set()
        counter.join()
    return statuses, most


@pytest.fixture
def database(pg_url: str, serve_template: str):
    url = clone_database(pg_url, serve_template, DATABASE)
    yield url
    drop_database(pg_url, DATABASE)


def node_with_pool(url: str, serve_var: Path, pool_size: int) -> ServedSystem:
    return ServedSystem(
        database_url=url, var_dir=serve_var, redis_url=REDIS_URL, gunicorn_workers=WORKERS,
        extra_env={"DATABASE_POOL_MAX_SIZE": str(pool_size), "GUNICORN_THREADS": str(THREADS)},
    )


def test_the_pool_bounds_and_keeps_the_connections(
    database: str, pg_url: str, serve_var: Path
) -> None:
    with node_with_pool(database, serve_var, POOL) as node:
        statuses, most = load(node, pg_url)
        assert statuses == [200] * len(statuses)
        # 8 threads want a connection at once; the pools hold them to 2 × 2.
        assert 1 <= most <= WORKERS * POOL, most
        time.sleep(0.5)
        assert database_connections(pg_url, DATABASE) >= 1, "the pools keep their connections"


def test_without_the_pool_connections_close_after_each_request(
    database: str, pg_url: str, serve_var: Path
) -> None:
    """The contrast: DATABASE_POOL_MAX_SIZE=0, Django's own connection per request."""
    with node_with_pool(database, serve_var, 0) as node:
        statuses, _ = load(node, pg_url)
        assert statuses == [200] * len(statuses)
        deadline = time.monotonic() + 5
        while database_connections(pg_url, DATABASE) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert database_connections(pg_url, DATABASE) == 0
