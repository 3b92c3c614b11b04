"""/healthz (the process answers) and /readyz (each part the portal needs, named)."""

import os
import subprocess
import sys
import time

import pytest

from chorus import health
from tests.services import celery_broker, free_port

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}


@pytest.fixture
def worker_answered(monkeypatch):
    """A worker answered a ping a moment ago (the real ping is proven with a real worker)."""
    from django.core.cache import cache

    cache.set(health.WORKER_PONG_KEY, time.time(), 60)


def test_healthz_answers_whatever_the_parts(client, monkeypatch):
    """Liveness asks nothing of the database: it answers 200 while the database is down."""
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.worker
def test_readyz_ok_with_every_part_and_a_real_worker(client, celery_worker):
    """With the database, Redis, the broker and a running worker, every part is ok."""
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok"},
        "failed": [],
    }


def test_readyz_without_a_worker_names_the_worker(client):
    """No worker answers the ping: 503 naming the worker only."""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]


def test_readyz_pings_at_most_once_a_minute(client, monkeypatch):
    """A worker's answer is remembered: the next checks within a minute do not ping."""
    from chorus.celery import app

    pings = []
    monkeypatch.setattr(
        app.control, "ping", lambda **kw: pings.append(kw) or [{"w@host": {"ok": "pong"}}]
    )
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert len(pings) == 1


def test_readyz_cache_down(client, settings, worker_answered):
    """Redis unreachable as a cache: 503 naming the cache (the worker's last answer, kept in
    that cache, is unknown too)."""
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.DegradingRedisCache", **UNREACHABLE_REDIS},
        "counters": {"BACKEND": "common.cache.CounterRedisCache", **UNREACHABLE_REDIS},
    }
    checks = client.get("/readyz").json()["checks"]
    assert checks["cache"] == "failed"
    assert (checks["database"], checks["broker"]) == ("ok", "ok")


def test_readyz_broker_down(client, worker_answered):
    """The broker unreachable: 503 naming the broker."""
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_readyz_database_down(client, monkeypatch, worker_answered):
    """A database that does not answer: 503 naming the database."""
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_readyz_database_down_for_real():
    """Pointed at a PostgreSQL port where nothing listens, readyz answers 503 naming it."""
    probe = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz', HTTP_HOST='localhost');"
        "print(r.status_code, json.dumps(r.json()))"
    )
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/none",
        DJANGO_SETTINGS_MODULE="chorus.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.startswith("503"), result.stderr
    assert '"database": "failed"' in result.stdout
