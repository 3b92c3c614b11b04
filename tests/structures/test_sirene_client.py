"""lookup_establishment against the stub file and, for the INSEE backend, a real HTTP fake."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from stdnum import luhn

from structures.sirene import (
    EstablishmentNotFound,
    EstablishmentNotPublic,
    SireneUnavailable,
    client,
    limiter,
    lookup_establishment,
)
from structures.sirene.parse import parse_establishment
from tests.fakes.insee import FakeInsee

pytestmark = pytest.mark.django_db  # the look-up asks the Sirene mirror first

BASE_DIR = Path(__file__).resolve().parents[2]
SAMPLES_FILE = BASE_DIR / "structures" / "sirene" / "sample_establishments.json"
SAMPLES: dict[str, dict] = json.loads(SAMPLES_FILE.read_text(encoding="utf-8"))

HEAD_OFFICE = "52601815590833"
SECONDARY = "52601815500055"
INDIVIDUAL = "81234567600017"
NOT_PUBLIC = "90123456700013"
UNAVAILABLE = "91234567500017"
API_KEY = "test-key"


def unknown_sirets(count: int, start: int = 10_000_000) -> list[str]:
    """Valid SIRETs that no sample holds: INSEE answers 404 for them."""
    sirets = []
    for number in range(start, start + count):
        siren = f"{number:08d}" + luhn.calc_check_digit(f"{number:08d}")
        base = siren + "0001"
        sirets.append(base + luhn.calc_check_digit(base))
    assert not set(sirets) & set(SAMPLES)
    return sirets


def redis_ttl(key: str) -> int:
    """Seconds left before a cache key expires (Redis TTL), to check cache durations."""
    raw_key = cache.make_and_validate_key(key)
    return caches["default"]._cache.get_client(raw_key).ttl(raw_key)


@pytest.fixture
def insee(settings):
    """The fake INSEE serving the samples, with the insee backend pointed at it."""
    with FakeInsee(SAMPLES, api_key=API_KEY) as fake:
        settings.SIRENE_BACKEND = "insee"
        settings.SIRENE_API_URL = fake.url
        settings.SIRENE_API_KEY = API_KEY
        settings.SIRENE_TIMEOUT = 1.0
        yield fake


@pytest.fixture
def delays(monkeypatch):
    """Record the backoff waits instead of sleeping them."""
    waits: list[float] = []
    monkeypatch.setattr(client, "_sleep", waits.append)
    return waits


# The stub backend.


def test_stub_returns_the_parsed_sample(settings):
    """The stub backend answers from the stub file with the shared parser."""
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(SAMPLES_FILE)
    assert lookup_establishment(HEAD_OFFICE) == parse_establishment(SAMPLES[HEAD_OFFICE])


def test_stub_absent_siret_is_not_found(settings):
    """A SIRET missing from the stub file is EstablishmentNotFound."""
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(SAMPLES_FILE)
    with pytest.raises(EstablishmentNotFound):
        lookup_establishment(unknown_sirets(1)[0])


def test_stub_status_entries_play_insee_failures(settings):
    """{"status": 403} is not public, {"status": 503} is unavailable."""
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(SAMPLES_FILE)
    with pytest.raises(EstablishmentNotPublic):
        lookup_establishment(NOT_PUBLIC)
    with pytest.raises(SireneUnavailable):
        lookup_establishment(UNAVAILABLE)


def test_stub_file_edits_show_at_once(settings, tmp_path):
    """The stub is not cached: an edited file answers differently on the next lookup."""
    stub_file = tmp_path / "stub.json"
    stub_file.write_text(json.dumps({HEAD_OFFICE: SAMPLES[HEAD_OFFICE]}))
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(stub_file)
    assert lookup_establishment(HEAD_OFFICE).siret == HEAD_OFFICE

    stub_file.write_text(json.dumps({HEAD_OFFICE: {"status": 403}}))
    os.utime(stub_file, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    with pytest.raises(EstablishmentNotPublic):
        lookup_establishment(HEAD_OFFICE)


def test_stub_file_missing_is_unavailable(settings, tmp_path):
    """A stub file that cannot be read makes the register unavailable, not a crash."""
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(tmp_path / "missing.json")
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)


def test_unknown_backend_is_a_configuration_error(settings):
    """SIRENE_BACKEND other than "stub" or "insee" is refused."""
    settings.SIRENE_BACKEND = "sirene"
    with pytest.raises(ImproperlyConfigured):
        lookup_establishment(HEAD_OFFICE)


def test_backend_is_chosen_at_call_time(settings, insee):
    """Changing SIRENE_BACKEND between two calls changes who answers."""
    settings.SIRENE_BACKEND = "stub"
    settings.SIRENE_STUB_FILE = str(SAMPLES_FILE)
    lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 0
    settings.SIRENE_BACKEND = "insee"
    lookup_establishment(SECONDARY)
    assert insee.count() == 1


# The INSEE backend: what is sent and how answers map.


def test_api_key_and_accept_headers_are_sent(insee):
    """Each request carries the integration key header and asks for JSON."""
    lookup_establishment(HEAD_OFFICE)
    (request,) = insee.requests
    assert request.header("X-INSEE-Api-Key-Integration") == API_KEY
    assert request.header("Accept") == "application/json"
    assert request.path == f"/siret/{HEAD_OFFICE}"


def test_found_is_parsed(insee):
    """200: the body is parsed by the shared parser."""
    assert lookup_establishment(INDIVIDUAL) == parse_establishment(SAMPLES[INDIVIDUAL])


def test_api_url_with_a_path_prefix(settings, insee):
    """SIRENE_API_URL may carry INSEE's path (/api-sirene/3.11): it is kept before /siret."""
    settings.SIRENE_API_URL = insee.url + "/api-sirene/3.11"
    lookup_establishment(HEAD_OFFICE)
    assert insee.requests[0].path == f"/api-sirene/3.11/siret/{HEAD_OFFICE}"


def test_unknown_siret_is_not_found(insee):
    """404: EstablishmentNotFound."""
    with pytest.raises(EstablishmentNotFound):
        lookup_establishment(unknown_sirets(1)[0])


def test_forbidden_is_not_public(insee):
    """403: EstablishmentNotPublic."""
    with pytest.raises(EstablishmentNotPublic):
        lookup_establishment(NOT_PUBLIC)


def test_malformed_is_not_found(insee):
    """400: EstablishmentNotFound, without retry."""
    insee.program(HEAD_OFFICE, statuses=[400])
    with pytest.raises(EstablishmentNotFound):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 1


def test_duplicate_redirect_is_not_followed(insee):
    """301 (closed as a duplicate): not found, and the other SIRET is not fetched."""
    insee.program(HEAD_OFFICE, statuses=[301], location=f"/siret/{SECONDARY}")
    with pytest.raises(EstablishmentNotFound):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 1
    assert insee.count(SECONDARY) == 0


def test_refused_key_is_unavailable_logged_and_not_retried(settings, insee, caplog):
    """401: SireneUnavailable after one request, with an error in the log."""
    settings.SIRENE_API_KEY = "wrong-key"
    with (
        caplog.at_level(logging.ERROR, logger="structures.sirene"),
        pytest.raises(SireneUnavailable),
    ):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 1
    assert insee.requests[0].status == 401
    assert any("401" in record.getMessage() for record in caplog.records)


def test_empty_key_sends_nothing(settings, insee):
    """Without an API key, INSEE is not called at all."""
    settings.SIRENE_API_KEY = ""
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 0


def test_siret_that_is_not_14_digits_never_reaches_the_url(insee):
    """Only a 14-digit SIRET is put in the URL."""
    with pytest.raises(EstablishmentNotFound):
        lookup_establishment("../../siren/1")
    assert insee.count() == 0


# Retries.


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_server_errors_are_retried_then_unavailable(insee, delays, status):
    """429 and 5xx: three requests in all, with 0.5 s then 1 s of backoff, then unavailable."""
    insee.program(HEAD_OFFICE, statuses=[status] * 10)
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 3
    assert delays == [0.5, 1.0]


def test_retry_succeeds_when_insee_recovers(insee, delays):
    """503, 503, then 200: the third request gets the establishment."""
    insee.program(HEAD_OFFICE, statuses=[503, 503])
    assert lookup_establishment(HEAD_OFFICE).siret == HEAD_OFFICE
    assert insee.count() == 3


def test_small_retry_after_is_respected(insee, delays):
    """429 with Retry-After: 2 waits 2 s (more than the backoff) before retrying."""
    insee.program(HEAD_OFFICE, statuses=[429], retry_after=2)
    lookup_establishment(HEAD_OFFICE)
    assert delays == [2.0]
    assert insee.count() == 2


def test_long_retry_after_ends_the_attempts(insee, delays):
    """429 with a Retry-After longer than a web request can wait: give up at once."""
    insee.program(HEAD_OFFICE, statuses=[429] * 3, retry_after=30)
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 1
    assert delays == []


def test_timeouts_are_retried_within_the_time_budget(settings, insee):
    """A silent INSEE: three timed-out requests, and the caller waits < 2 x timeout + 2 s."""
    settings.SIRENE_TIMEOUT = 0.2
    insee.program(HEAD_OFFICE, delay=2.0)
    started = time.monotonic()
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    elapsed = time.monotonic() - started
    assert insee.count() == 3
    assert elapsed < 2 * 0.2 + 2


def test_default_timeout_budget_stops_before_a_useless_third_attempt(settings, monkeypatch):
    """With the default 5 s timeout, two timeouts and a backoff leave no room for a third try."""
    settings.SIRENE_BACKEND = "insee"
    settings.SIRENE_API_URL = "http://insee.invalid"
    settings.SIRENE_API_KEY = API_KEY
    settings.SIRENE_TIMEOUT = 5.0
    now = [0.0]
    waits: list[float] = []
    timeouts: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    def silent_insee(self, url, *, timeout, **kwargs):
        timeouts.append(timeout)
        now[0] += timeout
        raise requests.Timeout("simulated")

    monkeypatch.setattr(client, "_clock", lambda: now[0])
    monkeypatch.setattr(client, "_sleep", sleep)
    monkeypatch.setattr(requests.Session, "get", silent_insee)
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert timeouts == [5.0, 5.0]
    assert waits == [0.5]
    assert now[0] <= 2 * 5.0 + 2


def test_connection_refused_is_retried_then_unavailable(settings, delays):
    """Nothing listening: three attempts, then SireneUnavailable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SIRENE_BACKEND = "insee"
    settings.SIRENE_API_URL = f"http://127.0.0.1:{port}"
    settings.SIRENE_API_KEY = API_KEY
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert delays == [0.5, 1.0]
    assert limiter.used_this_minute() == 3


# Cache.


def test_found_is_cached_for_15_minutes(insee):
    """A second lookup of the same SIRET is served from the cache, kept 15 minutes."""
    first = lookup_establishment(HEAD_OFFICE)
    second = lookup_establishment(HEAD_OFFICE)
    assert first == second
    assert insee.count() == 1
    assert 15 * 60 - 5 <= redis_ttl(f"sirene:siret:{HEAD_OFFICE}") <= 15 * 60


def test_not_found_is_cached_for_5_minutes(insee):
    """An unknown SIRET is asked once; the answer is kept 5 minutes."""
    siret = unknown_sirets(1)[0]
    for _ in range(2):
        with pytest.raises(EstablishmentNotFound):
            lookup_establishment(siret)
    assert insee.count() == 1
    assert 5 * 60 - 5 <= redis_ttl(f"sirene:siret:{siret}") <= 5 * 60


def test_not_public_is_cached(insee):
    """A 403 is not asked again within the not-found delay either."""
    for _ in range(2):
        with pytest.raises(EstablishmentNotPublic):
            lookup_establishment(NOT_PUBLIC)
    assert insee.count() == 1


def test_failures_are_not_cached(insee, delays):
    """After an outage, the next lookup asks INSEE again."""
    insee.program(HEAD_OFFICE, statuses=[503] * 3)
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert lookup_establishment(HEAD_OFFICE).siret == HEAD_OFFICE
    assert insee.count() == 4


def test_cache_read_and_write_errors_do_not_break_the_lookup(insee, monkeypatch):
    """If reading or writing the cached answer fails, INSEE is asked and the answer returned."""

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "get", broken)
    monkeypatch.setattr(caches["default"], "set", broken)
    assert lookup_establishment(HEAD_OFFICE).siret == HEAD_OFFICE
    assert insee.count() == 1


def test_unreachable_cache_fails_closed(settings, insee):
    """With the cache (and so the shared quota) unreachable, INSEE is not called."""
    unreachable = {
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.DegradingRedisCache", **unreachable},
        "counters": {"BACKEND": "common.cache.CounterRedisCache", **unreachable},
    }
    with pytest.raises(SireneUnavailable):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 0


# The shared rate limit.


def test_rate_limit_refuses_without_calling_insee(settings, insee):
    """Past SIRENE_RATE_LIMIT requests in the window, lookups fail without a request."""
    settings.SIRENE_RATE_LIMIT = 2
    sirets = unknown_sirets(3)
    for siret in sirets[:2]:
        with pytest.raises(EstablishmentNotFound):
            lookup_establishment(siret)
    with pytest.raises(SireneUnavailable, match="rate limit"):
        lookup_establishment(sirets[2])
    assert insee.count() == 2
    assert (limiter.used_this_minute(), limiter.remaining_this_minute()) == (2, 0)


def test_cached_lookups_do_not_use_the_quota(settings, insee):
    """A cached answer costs no request, so it is served even when the quota is spent."""
    settings.SIRENE_RATE_LIMIT = 1
    lookup_establishment(HEAD_OFFICE)
    assert lookup_establishment(HEAD_OFFICE).siret == HEAD_OFFICE
    assert insee.count() == 1


def test_retries_count_against_the_rate_limit(settings, insee, delays):
    """Each retry takes a slot: with a limit of 2, the third attempt is never sent."""
    settings.SIRENE_RATE_LIMIT = 2
    insee.program(HEAD_OFFICE, statuses=[503, 503])
    with pytest.raises(SireneUnavailable, match="rate limit"):
        lookup_establishment(HEAD_OFFICE)
    assert insee.count() == 2


def test_slots_are_held_for_the_rolling_window(settings, insee):
    """A request holds its slot 61 s, so no 60 s window can see more than the limit."""
    lookup_establishment(HEAD_OFFICE)
    ttls = [redis_ttl(limiter.SLOT_KEY.format(index=i)) for i in range(settings.SIRENE_RATE_LIMIT)]
    held = [ttl for ttl in ttls if ttl > 0]
    assert len(held) == 1
    assert 55 <= held[0] <= limiter.WINDOW_SECONDS


def test_production_rate_limit_is_30_per_minute(settings):
    """The configured default matches INSEE's quota of 30 requests per minute."""
    assert settings.SIRENE_RATE_LIMIT == 30


LOOKUPS_IN_A_PROCESS = """
import json, sys
import django
django.setup()
from structures.sirene import EstablishmentNotFound, SireneUnavailable, lookup_establishment
outcomes = []
for siret in json.loads(sys.argv[1]):
    try:
        lookup_establishment(siret)
        outcomes.append("found")
    except EstablishmentNotFound:
        outcomes.append("asked")
    except SireneUnavailable:
        outcomes.append("refused")
print(json.dumps(outcomes))
"""


def test_rate_limit_is_shared_across_processes():
    """Two processes of 6 lookups each, limit 5: INSEE sees 5 requests in all, not 10."""
    limit, per_process = 5, 6
    sirets = unknown_sirets(2 * per_process)
    with FakeInsee({}, api_key=API_KEY) as fake:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "chorus.settings",
            "SIRENE_BACKEND": "insee",
            "SIRENE_API_URL": fake.url,
            "SIRENE_API_KEY": API_KEY,
            "SIRENE_RATE_LIMIT": str(limit),
            "SIRENE_TIMEOUT": "2",
            "LOG_LEVEL": "CRITICAL",
        }
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", LOOKUPS_IN_A_PROCESS, json.dumps(chunk)],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for chunk in (sirets[:per_process], sirets[per_process:])
        ]
        outcomes = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr
            outcomes += json.loads(stdout)
        assert fake.count() == limit
    assert outcomes.count("asked") == limit
    assert outcomes.count("refused") == 2 * per_process - limit
