"""The parts the portal depends on, each checked on its own for `/readyz`.

Every check answers "ok" or "failed" (a reason is logged, never shown). The Celery worker
counts as ready when one answered a ping within WORKER_PING_MAX_AGE; the time of the last
answer is shared by the web processes through the cache, so `/readyz` pings at most once in
that time however often it is asked.
"""

import logging
import time

from django.core.cache import cache
from django.db import connection

from chorus.celery import app

logger = logging.getLogger(__name__)

WORKER_PING_MAX_AGE = 60
WORKER_PONG_KEY = "health:worker-pong"
# A ping nobody answered takes TIMEOUT: its failure is remembered this long, so that asking
# `/readyz` again and again while the worker is down never ties up the web processes.
WORKER_FAILED_KEY = "health:worker-silent"
WORKER_FAILED_MEMORY = 10
TIMEOUT = 1.0


def check_database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_cache() -> bool:
    # The default cache never raises (common.cache): a value that does not come back is the
    # sign that Redis is not there.
    cache.set("health:probe", "ok", 5)
    return cache.get("health:probe") == "ok"


def check_broker() -> bool:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
        # Redis channels connect lazily: ask the server itself.
        client = getattr(conn.default_channel, "client", None)
        if client is not None:
            client.ping()
    return True


def check_worker() -> bool:
    last = cache.get(WORKER_PONG_KEY)
    if last is not None and time.time() - last < WORKER_PING_MAX_AGE:
        return True
    if cache.get(WORKER_FAILED_KEY) is not None:
        return False
    replies = app.control.ping(timeout=TIMEOUT)
    if not replies:
        cache.set(WORKER_FAILED_KEY, time.time(), WORKER_FAILED_MEMORY)
        return False
    cache.set(WORKER_PONG_KEY, time.time(), WORKER_PING_MAX_AGE)
    cache.delete(WORKER_FAILED_KEY)
    return True


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
}


def readiness() -> dict[str, str]:
    """{part: "ok" | "failed"} for every part, in a fixed order."""
    states = {}
    for name, check in CHECKS.items():
        try:
            states[name] = "ok" if check() else "failed"
        except Exception as exc:  # any error of a part means it is not ready
            logger.warning("readyz: %s check failed: %s: %s", name, type(exc).__name__, exc)
            states[name] = "failed"
    return states
