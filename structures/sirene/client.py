"""The two backends behind `lookup_establishment`, chosen by `settings.SIRENE_BACKEND` at call time.

Before either, the local Sirene mirror (mirror.py) is asked: an establishment it holds is
answered from it (no request to INSEE, no cache, no quota), with `source="mirror:<date>"`. Only a
SIRET the mirror lacks (or every SIRET when no mirror was imported) reaches the backend below,
whose answers carry `source="stub"` or `source="api"`.

SIRENE_BACKEND = "stub" (development, demos, most tests)
    Reads `settings.SIRENE_STUB_FILE`, a JSON object `{siret: body}`. A body is either a full
    `GET /siret/{siret}` response (`{"header": ..., "etablissement": {...}}`), parsed like the
    real thing, or a status alone to play an INSEE failure:
        {"status": 403}  -> EstablishmentNotPublic (INSEE refuses to show the unit)
        {"status": 404}, {"status": 400}, {"status": 301} -> EstablishmentNotFound
        {"status": 503} (or 429, 500...) -> SireneUnavailable
    A SIRET absent from the file is EstablishmentNotFound. The stub is not cached and does not
    count against the rate limit: reading a small local file is cheap, and an edit of the file
    shows at once. An unreadable file is logged and gives SireneUnavailable.

SIRENE_BACKEND = "insee"
    `GET {SIRENE_API_URL}/siret/{siret}` with the `X-INSEE-Api-Key-Integration` header.
    - 200 -> parsed; 404 -> EstablishmentNotFound; 403 -> EstablishmentNotPublic;
      400 (malformed SIRET) -> EstablishmentNotFound.
    - 301 (establishment closed as a duplicate of another SIRET) -> EstablishmentNotFound, the
      replacement is logged. We do not follow it: the user typed this SIRET, and autofilling
      the form with another establishment's data would register the wrong one silently.
    - 401 (missing or refused key) -> SireneUnavailable, logged as an error; no retry. An empty
      SIRENE_API_KEY is refused before any request.
    - 429, 500, 502, 503, 504, timeouts and connection errors are retried: at most
      MAX_ATTEMPTS requests, waiting BACKOFF_SECONDS between them (or Retry-After when INSEE
      sends one of at most MAX_RETRY_AFTER seconds; a longer one ends the attempts), and never
      past a budget of 2 x SIRENE_TIMEOUT + 2 s in total. Then SireneUnavailable.
    - Every request, retries included, first takes a slot from the shared rate limiter
      (`limiter.acquire()`); a full window gives SireneUnavailable without calling INSEE.
    - Answers are cached in the default cache under `sirene:siret:<siret>` (with Django's
      KEY_PREFIX/version around it): found for FOUND_TTL (15 min), not found and not public for
      NOT_FOUND_TTL (5 min). Failures are never cached. A cached SIRET is not fetched again.
      A cache error is logged and the lookup goes on without the cache, but note that the
      limiter needs the cache and fails closed, so with the cache down no request reaches INSEE.

`stats` counts, per process, what the backends did (for a benchmark or a shell); the shared
view of the quota is in `limiter.used_this_minute()`.
"""

import dataclasses
import functools
import json
import logging
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from common import metrics

from . import limiter, mirror
from .parse import parse_establishment
from .types import (
    Establishment,
    EstablishmentNotFound,
    EstablishmentNotPublic,
    SireneUnavailable,
)

logger = logging.getLogger("structures.sirene")

CACHE_KEY = "sirene:siret:{siret}"
FOUND_TTL = 15 * 60
NOT_FOUND_TTL = 5 * 60
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)
MAX_RETRY_AFTER = 2.0
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_FOUND_STATUSES = frozenset({301, 400, 404})
API_KEY_HEADER = "X-INSEE-Api-Key-Integration"

_SIRET = re.compile(r"[0-9]{14}")

# Per-process counters: lookups, mirror_hits, cache_hits, requests, retries, found, not_found,
# not_public, unavailable, rate_limited, too_many_requests (also exported to Prometheus,
# common.metrics).
stats: Counter[str] = Counter()


def _count(event: str) -> None:
    stats[event] += 1
    metrics.INSEE.labels(event=event).inc()


# Indirections so tests can check the backoff and the time budget without waiting for them.
_sleep = time.sleep
_clock = time.monotonic


def lookup_establishment(siret: str) -> Establishment:
    """Return the establishment under this 14-digit SIRET: from the local Sirene mirror when
    it holds it, else from the configured backend (a company created since the mirror's date,
    or no mirror at all). `Establishment.source` says which answered.

    Raises EstablishmentNotFound, EstablishmentNotPublic or SireneUnavailable; raises
    ImproperlyConfigured when SIRENE_BACKEND names no backend.
    """
    backend = get_backend()
    _count("lookups")
    if not _SIRET.fullmatch(siret or ""):
        # Callers validate first; this guard keeps anything else out of the URL.
        raise EstablishmentNotFound(siret)
    try:
        establishment = mirror.lookup(siret)
    except SireneUnavailable:
        establishment = None  # logged; the register itself may still answer
    if establishment is not None:
        _count("mirror_hits")
        _count("found")
        return establishment
    try:
        establishment = dataclasses.replace(backend.lookup(siret), source=backend.source)
    except EstablishmentNotFound:
        _count("not_found")
        raise
    except EstablishmentNotPublic:
        _count("not_public")
        raise
    except SireneUnavailable:
        _count("unavailable")
        raise
    _count("found")
    return establishment


def get_backend() -> "StubBackend | InseeBackend":
    """The backend named by settings.SIRENE_BACKEND, read now so tests can override it."""
    name = settings.SIRENE_BACKEND
    if name == "stub":
        return StubBackend()
    if name == "insee":
        return InseeBackend()
    raise ImproperlyConfigured(f'SIRENE_BACKEND must be "stub" or "insee", not {name!r}.')


def _raise_for_status(status: int, siret: str) -> None:
    """Raise the exception an INSEE status without a usable body stands for."""
    if status in NOT_FOUND_STATUSES:
        raise EstablishmentNotFound(siret)
    if status == 403:
        raise EstablishmentNotPublic(siret)
    raise SireneUnavailable(f"INSEE answered {status} for {siret}")


class StubBackend:
    """Answers from the JSON file settings.SIRENE_STUB_FILE (see the module docstring)."""

    source = "stub"

    def lookup(self, siret: str) -> Establishment:
        """The establishment the stub file holds for this SIRET."""
        body = _load_stub_file(settings.SIRENE_STUB_FILE).get(siret)
        if body is None:
            raise EstablishmentNotFound(siret)
        if not isinstance(body, dict):
            raise SireneUnavailable(f"stub entry for {siret} is not an object")
        if "etablissement" not in body:
            _raise_for_status(int(body.get("status") or 500), siret)
        return parse_establishment(body)


def _load_stub_file(path: str) -> dict[str, Any]:
    try:
        modified = Path(path).stat().st_mtime_ns
        return _read_stub_file(path, modified)
    except (OSError, ValueError) as exc:
        logger.error("sirene stub file %s unreadable: %s", path, exc)
        raise SireneUnavailable("stub file unreadable") from exc


@functools.lru_cache(maxsize=4)
def _read_stub_file(path: str, modified: int) -> dict[str, Any]:
    # Keyed on the modification time: an edited file is read again.
    with open(path, encoding="utf-8") as stub_file:
        entries = json.load(stub_file)
    if not isinstance(entries, dict):
        raise ValueError("the stub file must hold a JSON object {siret: body}")
    return entries


class InseeBackend:
    """The INSEE Sirene API 3.11, behind the shared rate limiter and the cache."""

    source = "api"

    def lookup(self, siret: str) -> Establishment:
        """The establishment INSEE knows under this SIRET, from the cache when possible."""
        key = CACHE_KEY.format(siret=siret)
        cached = _cache_get(key)
        if isinstance(cached, dict) and "status" in cached:
            _count("cache_hits")
            logger.debug("sirene %s served from the cache (%s)", siret, cached["status"])
            return self._answer(siret, cached)

        answer = self._fetch(siret)
        if answer["status"] == 200:
            establishment = parse_establishment(answer["body"])  # no caching of garbage
            _cache_set(key, answer, FOUND_TTL)
            return establishment
        if answer["status"] in (403, 404, 301):
            _cache_set(key, {"status": answer["status"]}, NOT_FOUND_TTL)
        return self._answer(siret, answer)

    @staticmethod
    def _answer(siret: str, answer: dict) -> Establishment:
        if answer.get("status") == 200:
            return parse_establishment(answer.get("body") or {})
        _raise_for_status(int(answer.get("status") or 500), siret)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, siret: str) -> dict:
        """Ask INSEE, retrying what may pass on a second try; return {"status", "body"}."""
        if not settings.SIRENE_API_KEY:
            logger.error("sirene: SIRENE_API_KEY is empty, INSEE would answer 401")
            raise SireneUnavailable("no INSEE API key")

        url = f"{settings.SIRENE_API_URL}/siret/{siret}"
        headers = {API_KEY_HEADER: settings.SIRENE_API_KEY, "Accept": "application/json"}
        timeout = float(settings.SIRENE_TIMEOUT)
        # A web request waits at most this long for INSEE, whatever happens.
        deadline = _clock() + 2 * timeout + 2
        problem = ""
        with requests.Session() as session:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    limiter.acquire()
                except limiter.RateLimited:
                    _count("rate_limited")
                    raise
                _count("requests")
                if attempt > 1:
                    _count("retries")
                retry_after: float | None = None
                request_timeout = max(min(timeout, deadline - _clock()), 0.1)
                started = _clock()
                try:
                    response = session.get(
                        url, headers=headers, timeout=request_timeout, allow_redirects=False
                    )
                except (requests.Timeout, requests.ConnectionError) as exc:
                    problem = type(exc).__name__
                    logger.warning(
                        "sirene GET /siret/%s -> %s after %.0f ms (attempt %d)",
                        siret,
                        problem,
                        (_clock() - started) * 1000,
                        attempt,
                    )
                except requests.RequestException as exc:
                    logger.error("sirene GET /siret/%s failed: %s", siret, exc)
                    raise SireneUnavailable(str(exc)) from exc
                else:
                    status = response.status_code
                    logger.info(
                        "sirene GET /siret/%s -> %d in %.0f ms (attempt %d)",
                        siret,
                        status,
                        (_clock() - started) * 1000,
                        attempt,
                    )
                    if status not in RETRYABLE_STATUSES:
                        return self._read(siret, response)
                    if status == 429:
                        _count("too_many_requests")
                        logger.warning("sirene: INSEE says the quota is exceeded (429)")
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(response)

                if attempt == MAX_ATTEMPTS:
                    break
                delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
                if retry_after is not None:
                    if retry_after > MAX_RETRY_AFTER:
                        break
                    delay = max(delay, retry_after)
                if deadline - _clock() - delay < min(timeout, 1.0):
                    break  # no time left for a useful attempt
                _sleep(delay)
        raise SireneUnavailable(f"INSEE unavailable for {siret}: {problem}")

    @staticmethod
    def _read(siret: str, response: requests.Response) -> dict:
        status = response.status_code
        if status == 200:
            try:
                return {"status": 200, "body": response.json()}
            except ValueError as exc:
                logger.error("sirene: INSEE answered 200 with a body that is not JSON")
                raise SireneUnavailable("INSEE answer is not JSON") from exc
        if status == 301:
            logger.info(
                "sirene: %s was closed as a duplicate of %s",
                siret,
                response.headers.get("Location", "?"),
            )
        if status == 401:
            logger.error("sirene: INSEE refused the API key (401); check SIRENE_API_KEY")
            raise SireneUnavailable("INSEE refused the API key")
        if status not in NOT_FOUND_STATUSES and status != 403:
            logger.warning("sirene: unexpected status %d for %s", status, siret)
        return {"status": status}


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds when INSEE sends it as a number (the only form it uses)."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:  # the cache is an optimisation: never fail a lookup for it
        logger.warning("sirene cache read failed: %s", exc)
        return None


def _cache_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        logger.warning("sirene cache write failed: %s", exc)
