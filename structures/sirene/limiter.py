"""The INSEE quota (30 requests per minute per key), shared by every process through the cache
of counters (`caches["counters"]`, which raises when Redis does not answer).

INSEE refuses the 31st request of a minute with HTTP 429, and the key is shared by all web and
worker processes, so a per-process counter is not enough. The limit is
`settings.SIRENE_RATE_LIMIT` requests in any rolling window of `WINDOW_SECONDS`.

How: the cache holds `SIRENE_RATE_LIMIT` slots, keys `sirene:rate:slot:<i>`. A request may go
to INSEE only after taking a free slot with `cache.add(key, ..., WINDOW_SECONDS)`, which is
atomic in Redis (SET NX EX): two processes can never take the same slot. A slot frees itself
when its key expires, so at most SIRENE_RATE_LIMIT requests start in any 61 seconds. Unlike a
fixed "per calendar minute" counter, this never lets 2 x 30 requests through around a minute
boundary, which INSEE could count as one minute.

The window is 61 seconds, not 60: one second of margin for a request that reaches INSEE later
than we took its slot.

Every attempt counts, retries included: each one is a request in INSEE's eyes.

When the cache cannot be reached, `acquire()` fails closed (SireneUnavailable): without the
shared count we cannot know whether INSEE would accept the request, and going over the quota
punishes every process for the rest of the minute. With the local-memory cache (development
without Redis) the limit holds per process only.

To read the counters (benchmark, admin, shell):
    >>> from structures.sirene import limiter
    >>> limiter.used_this_minute(), limiter.remaining_this_minute()
"""

import logging
import random
import uuid

from django.conf import settings
from django.core.cache import caches

from .types import SireneUnavailable

logger = logging.getLogger("structures.sirene")

WINDOW_SECONDS = 61
SLOT_KEY = "sirene:rate:slot:{index}"


class RateLimited(SireneUnavailable):
    """Our own share of the INSEE quota is used up for now: no request was sent."""


def _slot_keys(slot_key: str = SLOT_KEY, limit: int | None = None) -> list[str]:
    limit = settings.SIRENE_RATE_LIMIT if limit is None else limit
    return [slot_key.format(index=index) for index in range(max(limit, 0))]


def acquire(*, slot_key: str = SLOT_KEY, limit: int | None = None) -> None:
    """Take one request's worth of the quota, or raise SireneUnavailable without waiting.

    Raises RateLimited (a SireneUnavailable) when the window is full, and SireneUnavailable
    when the cache cannot be reached (fail closed, see the module docstring). Another register
    (VIES) passes its own `slot_key` pattern and `limit` to share the same mechanism.
    """
    keys = _slot_keys(slot_key, limit)
    if not keys:
        raise RateLimited("rate limit is 0")
    try:
        cache = caches["counters"]
        taken = cache.get_many(keys)
        free = [key for key in keys if key not in taken]
        # Random order so that concurrent processes rarely race for the same slot.
        random.shuffle(free)
        token = uuid.uuid4().hex
        for key in free:
            if cache.add(key, token, WINDOW_SECONDS):
                return
    except Exception as exc:
        logger.error("sirene rate limiter: cache unreachable, refusing the call: %s", exc)
        raise SireneUnavailable("rate limiter unavailable") from exc
    logger.warning(
        "sirene rate limit reached: %d requests in the last %d s",
        len(keys),
        WINDOW_SECONDS,
    )
    raise RateLimited("rate limit")


def used_this_minute() -> int:
    """How many requests went (or are going) to INSEE in the current rolling window.

    Raises SireneUnavailable if the cache cannot be reached.
    """
    keys = _slot_keys()
    if not keys:
        return 0
    try:
        return len(caches["counters"].get_many(keys))
    except Exception as exc:
        raise SireneUnavailable("rate limiter unavailable") from exc


def remaining_this_minute() -> int:
    """How many more requests INSEE may receive right now from all our processes together."""
    return max(settings.SIRENE_RATE_LIMIT - used_this_minute(), 0)
