"""The Redis adapter of :class:`~store.ephemeral.EphemeralStore`.

Every operation is one round trip: ``SET .. EX``, ``SET .. NX EX``, ``GETDEL`` (Redis
6.2+), and for counters a ``MULTI`` of ``SET key 0 EX ttl NX`` + ``INCR``, which starts
the window on the first hit and never extends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar
from typing import cast

import redis
from redis import exceptions as redis_errors

from store.ephemeral import check_entry
from store.errors import EphemeralUnavailable

T = TypeVar("T")


class RedisEphemeralStore:
    def __init__(self, url: str, *, prefix: str = "tongban:", timeout: float = 2.0) -> None:
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
        )
        self._prefix = prefix
        kwargs = self._client.connection_pool.connection_kwargs
        self._where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"

    @property
    def client(self) -> redis.Redis:
        return self._client

    def put(self, key: str, value: bytes, ttl: int) -> None:
        check_entry(key, ttl)
        self._call(lambda: self._client.set(self._prefix + key, value, ex=ttl))

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        check_entry(key, ttl)
        return bool(
            self._call(lambda: self._client.set(self._prefix + key, value, ex=ttl, nx=True))
        )

    def get(self, key: str) -> bytes | None:
        check_entry(key)
        return cast(bytes | None, self._call(lambda: self._client.get(self._prefix + key)))

    def take(self, key: str) -> bytes | None:
        check_entry(key)
        return cast(bytes | None, self._call(lambda: self._client.getdel(self._prefix + key)))

    def delete(self, key: str) -> None:
        check_entry(key)
        self._call(lambda: self._client.delete(self._prefix + key))

    def incr(self, key: str, ttl: int) -> int:
        check_entry(key, ttl)
        full = self._prefix + key

        def run() -> Any:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.set(full, 0, ex=ttl, nx=True)
                pipe.incr(full)
                return pipe.execute()[1]

        return int(self._call(run))

    def count(self, key: str) -> int:
        check_entry(key)
        value = self._call(lambda: self._client.get(self._prefix + key))
        try:
            return int(value) if value is not None else 0
        except ValueError:
            return 0

    def ping(self) -> None:
        self._call(self._client.ping)

    def close(self) -> None:
        self._client.close()

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            raise EphemeralUnavailable(
                f"Redis unreachable at {self._where}: {type(exc).__name__}", detail=str(exc)
            ) from None
