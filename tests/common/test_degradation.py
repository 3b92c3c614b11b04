"""The two Redis caches when Redis does not answer, and the throttles' written policy."""

import io
import logging

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from common import throttle
from common.cache import CacheUnavailable, reset_breaker
from common.logs import logging_config
from tests.services import free_port


@pytest.fixture
def redis_down(settings):
    """Both caches pointed at a port where nothing listens."""
    where = {"LOCATION": f"redis://127.0.0.1:{free_port()}/0", "OPTIONS": {"socket_timeout": 1}}
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.DegradingRedisCache", **where},
        "counters": {"BACKEND": "common.cache.CounterRedisCache", **where},
    }
    reset_breaker()
    yield
    reset_breaker()


def test_default_cache_degrades_to_nothing_cached(redis_down, caplog):
    """Reads give the default, writes are dropped, nothing raises; the failure is logged."""
    cache = caches["default"]
    cache.set("key", "value")
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["key"]) == {} and cache.add("key", 1) is False
    assert "Redis unreachable" in caplog.text


def test_counters_cache_says_it_is_down(redis_down):
    """A count that cannot be read is never taken for zero."""
    with pytest.raises(CacheUnavailable):
        caches["counters"].get("key")


def test_throttles_fail_closed_or_open_as_the_door_says(redis_down):
    """The same unreadable counters refuse a fail-closed door and let the others through."""
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1")
    assert throttle.exceeded(request, group="help", rates=["1/m"]) is False
    with pytest.raises(throttle.ThrottleUnavailable):
        throttle.exceeded(request, group="step1", rates=["1/m"], fail_closed=True)


def test_console_format_is_readable_lines():
    """LOG_FORMAT=console (make run) prints a readable line, masked like the JSON ones."""
    config = logging_config(log_format="console", level="INFO")
    formatter = config["formatters"]["structured"]["()"](
        **{k: v for k, v in config["formatters"]["structured"].items() if k != "()"}
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    log = logging.getLogger("readable-test")
    log.addHandler(handler)
    try:
        log.warning("mail to claire@example.org")
    finally:
        log.removeHandler(handler)
    line = stream.getvalue()
    assert not line.startswith("{") and "[warning" in line
    assert "mail to c***@example.org" in line
