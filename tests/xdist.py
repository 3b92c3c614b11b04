"""Each pytest-xdist worker gets its own Redis databases, as pytest-django gives it its own
PostgreSQL database (test_chorus_gw0, test_chorus_gw1…).

Worker N moves the cache and the broker 2×N databases up from the configured ones, in the
settings (read before the first cache or broker connection) and in the environment that
subprocesses (gunicorn, celery) inherit. Outside xdist nothing changes.
"""

import os
import re

REDIS_DATABASES = 16


def redis_url_moved(url: str, offset: int) -> str:
    match = re.fullmatch(r"(redis://[^/]+)/(\d+)", url)
    if match is None or offset == 0:
        return url
    database = int(match[2]) + offset
    if database >= REDIS_DATABASES:
        raise RuntimeError(f"{url} moved by {offset} passes Redis's {REDIS_DATABASES} databases")
    return f"{match[1]}/{database}"


def separate_redis_per_worker(settings) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    offset = 2 * int(worker[2:])
    if settings.REDIS_URL:
        settings.REDIS_URL = redis_url_moved(settings.REDIS_URL, offset)
        os.environ["REDIS_URL"] = settings.REDIS_URL
        for cache in settings.CACHES.values():
            if cache.get("LOCATION") and str(cache["LOCATION"]).startswith("redis://"):
                cache["LOCATION"] = redis_url_moved(cache["LOCATION"], offset)
    settings.CELERY_BROKER_URL = redis_url_moved(settings.CELERY_BROKER_URL, offset)
    os.environ["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
