"""The two backends behind `check_vat`, chosen by `settings.VIES_BACKEND` at call time, built
like the INSEE client (structures.sirene.client).

VIES_BACKEND = "stub" (development, demos, most tests)
    Reads `settings.VIES_STUB_FILE`, a JSON object `{number: body}` where number is compacted
    with its prefix ("DE136695976") and body is what VIES answers (`isValid`, `name`,
    `address`) or `{"userError": "MS_UNAVAILABLE"}` to play an unavailable member state.
    A number absent from the file is not valid. No cache, no rate limit.

VIES_BACKEND = "vies"
    `GET {VIES_API_URL}/ms/{country}/vat/{number}` (VIES' REST API; the number without its
    prefix). An answer with `isValid` true gives the record, false (or `userError`
    INVALID_INPUT) VatNumberInvalid. `userError` MS_UNAVAILABLE, TIMEOUT, SERVICE_UNAVAILABLE,
    MS_MAX_CONCURRENT_REQ or GLOBAL_MAX_CONCURRENT_REQ, HTTP 429 and 5xx, timeouts and
    connection errors are retried: at most MAX_ATTEMPTS requests, BACKOFF_SECONDS apart, never
    past 2 x VIES_TIMEOUT + 2 s in total; then ViesUnavailable. Every request first takes a
    slot of the shared limiter (VIES_RATE_LIMIT a minute across processes). Valid answers are
    cached FOUND_TTL, invalid ones INVALID_TTL; failures never.
"""

import functools
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from structures.identifiers import vat_country
from structures.sirene import limiter
from structures.sirene.types import SireneUnavailable

from .types import VatNumberInvalid, VatRecord, ViesUnavailable

logger = logging.getLogger("structures.vies")

CACHE_KEY = "vies:vat:{number}"
SLOT_KEY = "vies:rate:slot:{index}"
FOUND_TTL = 15 * 60
INVALID_TTL = 5 * 60
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
UNAVAILABLE_ERRORS = frozenset(
    {
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "SERVICE_UNAVAILABLE",
        "MS_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ",
    }
)

_NUMBER = re.compile(r"[A-Z]{2}[0-9A-Z+*]{2,13}")

# Indirections so tests can check the backoff without waiting for it.
_sleep = time.sleep
_clock = time.monotonic


def check_vat(number: str) -> VatRecord:
    """What VIES says of this compacted EU VAT number ("DE136695976").

    Raises VatNumberInvalid or ViesUnavailable; ImproperlyConfigured for an unknown backend.
    """
    backend = get_backend()
    if not _NUMBER.fullmatch(number or ""):
        # Callers validate first; this guard keeps anything else out of the URL.
        raise VatNumberInvalid(number)
    return backend.check(number)


def get_backend() -> "StubBackend | ViesBackend":
    """The backend named by settings.VIES_BACKEND, read now so tests can override it."""
    name = settings.VIES_BACKEND
    if name == "stub":
        return StubBackend()
    if name == "vies":
        return ViesBackend()
    raise ImproperlyConfigured(f'VIES_BACKEND must be "stub" or "vies", not {name!r}.')


def _answer(number: str, body: dict) -> VatRecord:
    """The record a VIES body stands for, or the exception."""
    error = str(body.get("userError") or "")
    if error in UNAVAILABLE_ERRORS:
        raise ViesUnavailable(f"VIES answered {error} for {number}")
    if body.get("isValid") is True:
        return VatRecord.from_answer(number=number, country_code=vat_country(number), body=body)
    raise VatNumberInvalid(number)


class StubBackend:
    """Answers from the JSON file settings.VIES_STUB_FILE (see the module docstring)."""

    def check(self, number: str) -> VatRecord:
        body = _load_stub_file(settings.VIES_STUB_FILE).get(number)
        if body is None:
            raise VatNumberInvalid(number)
        if not isinstance(body, dict):
            raise ViesUnavailable(f"stub entry for {number} is not an object")
        return _answer(number, body)


def _load_stub_file(path: str) -> dict[str, Any]:
    try:
        return _read_stub_file(path, Path(path).stat().st_mtime_ns)
    except (OSError, ValueError) as exc:
        logger.error("vies stub file %s unreadable: %s", path, exc)
        raise ViesUnavailable("stub file unreadable") from exc


@functools.lru_cache(maxsize=4)
def _read_stub_file(path: str, modified: int) -> dict[str, Any]:
    with open(path, encoding="utf-8") as stub_file:
        entries = json.load(stub_file)
    if not isinstance(entries, dict):
        raise ValueError("the stub file must hold a JSON object {number: body}")
    return entries


class ViesBackend:
    """VIES' REST API, behind the shared rate limiter and the cache."""

    def check(self, number: str) -> VatRecord:
        key = CACHE_KEY.format(number=number)
        cached = _cache_get(key)
        if isinstance(cached, dict):
            return _answer(number, cached)
        body = self._fetch(number)
        try:
            record = _answer(number, body)
        except VatNumberInvalid:
            _cache_set(key, {"isValid": False}, INVALID_TTL)
            raise
        _cache_set(key, body, FOUND_TTL)
        return record

    def _fetch(self, number: str) -> dict:
        """Ask VIES, retrying what may pass on a second try; return the JSON body of an
        answer that says valid or invalid."""
        url = f"{settings.VIES_API_URL}/ms/{number[:2]}/vat/{number[2:]}"
        timeout = float(settings.VIES_TIMEOUT)
        deadline = _clock() + 2 * timeout + 2
        problem = ""
        with requests.Session() as session:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    limiter.acquire(slot_key=SLOT_KEY, limit=settings.VIES_RATE_LIMIT)
                except SireneUnavailable as exc:
                    raise ViesUnavailable(f"rate limit: {exc}") from exc
                request_timeout = max(min(timeout, deadline - _clock()), 0.1)
                try:
                    response = session.get(
                        url,
                        headers={"Accept": "application/json"},
                        timeout=request_timeout,
                        allow_redirects=False,
                    )
                except (requests.Timeout, requests.ConnectionError) as exc:
                    problem = type(exc).__name__
                except requests.RequestException as exc:
                    raise ViesUnavailable(str(exc)) from exc
                else:
                    status = response.status_code
                    logger.info("vies GET %s -> %d (attempt %d)", url, status, attempt)
                    body = _json(response)
                    error = _error_of(body)
                    if response.status_code == 200 and error not in UNAVAILABLE_ERRORS:
                        return body
                    if (
                        response.status_code not in RETRYABLE_STATUSES
                        and error not in UNAVAILABLE_ERRORS
                    ):
                        if error == "INVALID_INPUT" or response.status_code in (400, 404):
                            return {"isValid": False}
                        raise ViesUnavailable(f"VIES answered {response.status_code}")
                    problem = error or f"HTTP {response.status_code}"
                logger.warning("vies %s: %s (attempt %d)", number, problem, attempt)
                if attempt == MAX_ATTEMPTS:
                    break
                delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
                if deadline - _clock() - delay < min(timeout, 1.0):
                    break
                _sleep(delay)
        raise ViesUnavailable(f"VIES unavailable for {number}: {problem}")


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_of(body: dict) -> str:
    """VIES' error code: `userError`, or the first of `errorWrappers` on a failed call."""
    if body.get("userError"):
        return str(body["userError"])
    wrappers = body.get("errorWrappers") or []
    if wrappers and isinstance(wrappers[0], dict):
        return str(wrappers[0].get("error") or "")
    return ""


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:  # the cache is an optimisation: never fail a check for it
        logger.warning("vies cache read failed: %s", exc)
        return None


def _cache_set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        logger.warning("vies cache write failed: %s", exc)
