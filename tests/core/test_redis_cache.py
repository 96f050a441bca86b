"""jifen.core.redis_cache: Django's Redis cache with its clients reused (Redis database 7)."""

from __future__ import annotations

import socket
import threading

import pytest

from jifen.core.redis_cache import RedisCache

URL = "redis://127.0.0.1:6379/7"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on :6379")


@pytest.fixture
def cache():
    backend = RedisCache(URL, {"KEY_PREFIX": "jifen-test-redis-cache"})
    backend.clear()
    yield backend
    backend.clear()


def test_it_is_a_working_cache(cache) -> None:
    assert cache.get("missing", "default") == "default"
    cache.set("page", (b"<html>\xe5\x85\xac\xe7\xa4\xba</html>", "text/html"), 30)
    assert cache.get("page") == (b"<html>\xe5\x85\xac\xe7\xa4\xba</html>", "text/html")
    assert cache.add("page", "other", 30) is False
    assert cache.add("n", 1) is True
    assert cache.incr("n") == 2
    cache.delete("page")
    assert cache.get("page") is None
    assert cache.get_many(["n", "missing"]) == {"n": 2}


def test_one_client_is_reused_for_every_call(cache) -> None:
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is client
    assert cache._cache.get_client("c", write=True) is client  # one server: one pool
    cache.set("k", 1, 30)
    assert cache._cache.get_client("k") is client


def test_threads_share_the_client_safely(cache) -> None:
    errors: list[Exception] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                cache.set(f"t{n}-{i}", i, 30)
                assert cache.get(f"t{n}-{i}") == i
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.get("t7-199") == 199
