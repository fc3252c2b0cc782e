"""Brute-force counters in Redis (used when ``CAMGATE_REDIS_URL`` is set), with the same policy as
``store.throttle.DbThrottle``: failures counted in a window, a lock that doubles up to a ceiling.

Counting and locking are one Lua script, so failures on every worker and machine are counted
atomically; Redis expires the counters by itself (the database table needs ``camgate purge``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from camgate.store.database import DatabaseUnavailableError
from camgate.store.throttle import Limit

# KEYS: failures, lock, lock count. ARGV: max_failures, window, lock_seconds, max_lock_seconds.
_FAILURE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
if n >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  local c = redis.call('INCR', KEYS[3])
  redis.call('EXPIRE', KEYS[3], 86400)
  local lock = tonumber(ARGV[3]) * (2 ^ math.min(c - 1, 20))
  lock = math.min(lock, tonumber(ARGV[4]))
  redis.call('SET', KEYS[2], '1', 'EX', math.floor(lock))
end
return n
"""
# The same count, made only if the key is not locked: returns the lock's seconds left, or 0.
_RESERVE = """
local ttl = redis.call('TTL', KEYS[2])
if ttl > 0 then return ttl end
""" + _FAILURE.replace("return n", "return 0")
PREFIX = "camgate:throttle:"


class RedisThrottle:
    def __init__(self, url: str, limit_for: Callable[[str], Limit]) -> None:
        import redis.asyncio as redis_asyncio

        self.client: Any = redis_asyncio.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.limit_for = limit_for
        self._failure = self.client.register_script(_FAILURE)
        self._reserve = self.client.register_script(_RESERVE)

    @staticmethod
    def _keys(key: str) -> list[str]:
        return [f"{PREFIX}f:{key}", f"{PREFIX}l:{key}", f"{PREFIX}n:{key}"]

    async def retry_after(self, key: str) -> int:
        try:
            ttl = int(await self.client.ttl(self._keys(key)[1]))
        except Exception as exc:  # redis down: fail closed, as the database throttle does (503)
            raise DatabaseUnavailableError(type(exc).__name__) from exc
        return max(ttl, 0)

    async def failure(self, key: str) -> None:
        limit = self.limit_for(key)
        args = [limit.max_failures, limit.window_seconds, limit.lock_seconds, limit.max_lock_seconds]
        try:
            await self._failure(keys=self._keys(key), args=args)
        except Exception as exc:
            raise DatabaseUnavailableError(type(exc).__name__) from exc

    async def reserve(self, key: str) -> int:
        """Count an attempt before it is checked (see ``DbThrottle.reserve``): 0 or seconds to wait."""
        limit = self.limit_for(key)
        args = [limit.max_failures, limit.window_seconds, limit.lock_seconds, limit.max_lock_seconds]
        try:
            return int(await self._reserve(keys=self._keys(key), args=args))
        except Exception as exc:
            raise DatabaseUnavailableError(type(exc).__name__) from exc

    async def success(self, key: str) -> None:
        try:
            await self.client.delete(*self._keys(key))
        except Exception as exc:
            raise DatabaseUnavailableError(type(exc).__name__) from exc

    async def close(self) -> None:
        await self.client.aclose()
