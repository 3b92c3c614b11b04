"""Redis behind the two caches, and what each does when Redis does not answer.

- `default` (DegradingRedisCache): the INSEE answers, the catalogue, health probes (sessions
  live in the database only: a write this cache drops must never be a log-out).
  Every operation that fails is logged and answered as "nothing
  cached" (a read gives the default, a write is dropped), so a Redis outage costs speed, never
  a page.
- `counters` (CounterRedisCache): throttles, the INSEE rate limiter, used proof-of-work
  solutions. A count that cannot be read must not be taken for zero, so a failure raises
  CacheUnavailable and each caller applies its written policy (common.throttle).

After a failure the process leaves Redis alone for RETRY_AFTER seconds (both caches share
that pause): during an outage, requests do not each wait for a connection to be refused.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0

# {server locations: monotonic time until which Redis is left alone}, for the whole process.
_down_until: dict[tuple, float] = {}


class CacheUnavailable(Exception):
    """Redis did not answer (or did recently): the count or value is unknown."""


class _BreakerMixin:
    def _call(self, name, *args, **kwargs):
        servers = tuple(self._servers)
        if time.monotonic() < _down_until.get(servers, 0.0):
            raise CacheUnavailable("Redis was unreachable moments ago")
        try:
            return getattr(super(), name)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            if time.monotonic() >= _down_until.get(servers, 0.0):
                logger.warning("cache: Redis unreachable (%s); retrying in %ss", exc, RETRY_AFTER)
            _down_until[servers] = time.monotonic() + RETRY_AFTER
            raise CacheUnavailable(str(exc)) from exc


def reset_breaker() -> None:
    """Forget recent failures (tests that restart Redis)."""
    _down_until.clear()


class CounterRedisCache(_BreakerMixin, RedisCache):
    """Redis for counts that matter: a failure raises CacheUnavailable."""

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def clear(self):
        return self._call("clear")


class DegradingRedisCache(_BreakerMixin, RedisCache):
    """Redis as a pure cache: a failure is logged and answered as a miss or a dropped write."""

    def _soft(self, default, name, *args, **kwargs):
        try:
            return self._call(name, *args, **kwargs)
        except CacheUnavailable:
            return default

    def get(self, key, default=None, version=None):
        return self._soft(default, "get", key, default, version)

    def get_many(self, keys, version=None):
        return self._soft({}, "get_many", keys, version)

    def has_key(self, key, version=None):
        return self._soft(False, "has_key", key, version)

    def add(self, *args, **kwargs):
        return self._soft(False, "add", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._soft(None, "set", *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._soft(list(data), "set_many", data, *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._soft(False, "touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._soft(False, "delete", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._soft(None, "delete_many", *args, **kwargs)

    def clear(self):
        return self._soft(False, "clear")
