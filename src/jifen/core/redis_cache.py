"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django 5.2's RedisCacheClient builds a new ``redis.Redis`` for every cache operation, and
redis-py fills about 170 response callbacks into each new client: measured at about 0.7 ms of
CPU per cache call (bench/load/profile_requests.py, docs/benchmarks.md), more than the
network round trip itself, on every request that reads a session or a cached page. A client
is thread-safe (its connections come from the pool), so one per pool is kept and reused.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
