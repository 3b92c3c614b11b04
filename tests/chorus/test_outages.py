"""Outages under a short burst of registrations: Redis stopped (then back empty), PostgreSQL
unreachable. Not one 500, the site's 503 page where a door fails closed, every mail once."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from common.cache import reset_breaker
from outbox.models import OutgoingEmail
from outbox.tasks import requeue_pending_emails
from tests import challenges, journey
from tests.services import RedisServer, celery_broker, free_port, wait_for

pytestmark = pytest.mark.worker

_addresses = itertools.count(1)
TRY_AGAIN = "Please try again in a minute"


class Visitor:
    """A browser of its own (own session, own IP) whose every answer is kept."""

    def __init__(self, statuses: list):
        self.client = Client(
            raise_request_exception=False, REMOTE_ADDR=f"10.0.0.{next(_addresses)}"
        )
        self.statuses = statuses

    def __getattr__(self, method):
        def call(*args, **kwargs):
            response = getattr(self.client, method)(*args, **kwargs)
            self.statuses.append((method, args[0], response.status_code))
            return response

        return call


def _step1(visitor, email, siret=journey.COMPANY_SIRET):
    data = {"email": email, "siret": siret, "altcha": challenges.solution("step1")}
    return visitor.post("/register/", data)


def _steps_2_and_3(visitor):
    visitor.post("/register/details/", {k: v for k, v in journey.DETAILS.items()})
    return visitor.post("/register/areas/", {"areas": ["issued-invoices"]})


def _register(visitor, email, siret=journey.COMPANY_SIRET):
    try:
        assert _step1(visitor, email, siret).status_code == 302
        return _steps_2_and_3(visitor)
    finally:
        connections.close_all()  # this thread's connection


def _burst(statuses, emails):
    """Registrations two at a time, each from its own browser, of two establishments (two
    first registrations of one establishment at the same instant are another matter)."""
    sirets = itertools.cycle([journey.COMPANY_SIRET, journey.SECONDARY_SIRET])
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda pair: _register(Visitor(statuses), *pair), zip(emails, sirets))
        )
    assert [answer.get("Location") for answer in answers] == ["/register/sent/"] * len(emails), [
        (answer.status_code, answer.content.decode()[:3000]) for answer in answers
    ]


@pytest.fixture
def private_redis(settings):
    """A Redis of our own as cache, session cache, throttle counters and broker."""
    server = RedisServer().start()
    where = {
        "LOCATION": server.url,
        "KEY_PREFIX": "chorus",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
    }
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.DegradingRedisCache", **where},
        "counters": {"BACKEND": "common.cache.CounterRedisCache", **where},
    }
    reset_breaker()
    with celery_broker(server.url.replace("/0", "/1")) as app:
        yield server, app
    server.stop()
    reset_breaker()


def _send_everything(app, smtp_server, expected: int):
    """The sweeper's pass once the outage is over, with a real worker: every mail leaves."""
    from celery.contrib.testing.worker import start_worker

    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        requeue_pending_emails()
        assert wait_for(lambda: len(smtp_server.messages) >= expected, timeout=30)
        # Messages queued before the outage may still be delivered: they must find the rows sent.
        wait_for(lambda: False, timeout=1.0)


def test_redis_outage_costs_no_500_and_no_mail(
    transactional_db, private_redis, smtp_server, settings
):
    """Redis stops under registrations: sessions survive, step 1 and the log-in answer the 503
    page, other pages work; Redis comes back empty; every mail leaves exactly once."""
    server, app = private_redis
    statuses = []
    _burst(statuses, ["before1@example.org", "before2@example.org"])
    halfway = [Visitor(statuses), Visitor(statuses)]
    for number, visitor in enumerate(halfway):
        assert _step1(visitor, f"halfway{number}@example.org").status_code == 302

    server.stop()
    # Sessions were written to the database as well: the journey goes on.
    for visitor in halfway:
        assert _steps_2_and_3(visitor)["Location"] == "/register/sent/"
    newcomer = Visitor(statuses)
    refused = _step1(newcomer, "during@example.org")
    assert refused.status_code == 503 and TRY_AGAIN in refused.content.decode()
    assert refused["Retry-After"] == "60"
    login = newcomer.post(
        "/login/", {"login-email": "before1@example.org", "login-password": "whatever"}
    )
    assert login.status_code == 503
    assert newcomer.get("/").status_code == 200
    assert newcomer.get("/help/").status_code == 200
    ready = newcomer.get("/readyz")
    assert ready.status_code == 503
    assert {"cache", "broker"} <= set(ready.json()["failed"])
    assert "database" not in ready.json()["failed"]

    server.start()  # empty: the queued messages and the cached sessions are gone
    reset_breaker()
    _burst(statuses, ["after1@example.org", "after2@example.org"])

    _send_everything(app, smtp_server, expected=6)
    assert [code for _m, _p, code in statuses if code >= 500 and code != 503] == []
    recipients = sorted(to for message in smtp_server.messages for to in message["to"])
    assert recipients == sorted(
        ["before1@example.org", "before2@example.org", "halfway0@example.org"]
        + ["halfway1@example.org", "after1@example.org", "after2@example.org"]
    )
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_database_outage_answers_the_503_page(transactional_db, smtp_server, settings):
    """PostgreSQL unreachable: the 503 page (never a 500), /readyz names the database, and the
    mail of a registration made just before leaves once it is back."""
    from celery.contrib.testing.worker import start_worker

    from chorus.celery import app

    statuses = []
    _register(Visitor(statuses), "justbefore@example.org")
    visitor = Visitor(statuses)
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = free_port()
    try:
        step1 = _step1(visitor, "during@example.org")
        assert step1.status_code == 503 and TRY_AGAIN in step1.content.decode()
        for path in ("/login/", "/help/", "/dashboard/"):
            visitor.get(path)
        ready = visitor.get("/readyz")
        assert ready.status_code == 503 and "database" in ready.json()["failed"]
        assert visitor.get("/healthz").status_code == 200
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert [code for _m, _p, code in statuses if code >= 500 and code != 503] == []

    # The mail was queued at commit, before the outage: the worker sends it, once.
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert wait_for(lambda: len(smtp_server.messages) >= 1, timeout=20)
        requeue_pending_emails()
        wait_for(lambda: False, timeout=1.0)
    assert [m["to"] for m in smtp_server.messages] == [["justbefore@example.org"]]
