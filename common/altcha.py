"""Proof-of-work challenges (ALTCHA) on the forms robots post: step 1 of the registration, the
help desk's question, and the log-in to an account under attack.

Self-hosted and puzzle-free: a challenge is signed here and embedded in the page
(templates/common/_altcha.html), our own static/js/altcha.js finds the number whose SHA-256
with the challenge's salt is the challenge, and the form carries it back in the hidden `altcha`
field, where it is verified here. A person sees a status line, never a puzzle.

The `altcha` package's v1 scheme (create_challenge / ChallengeOptions / verify_solution) is the
one whose difficulty is a maximum number, and which WebCrypto's SHA-256 solves as is.
"""

import base64
import enum
import hashlib
import json
import time
from datetime import timedelta

from altcha.v1 import ChallengeOptions, create_challenge, extract_params, hmac_hex, verify_solution
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from common import throttle
from common.cache import CacheUnavailable

FIELD = "altcha"
ALGORITHM = "SHA-256"
EXPIRY = timedelta(minutes=10)
# A real payload is about 350 characters; anything much longer is not ours.
MAX_PAYLOAD_LENGTH = 2000
_FIELDS = ("algorithm", "challenge", "number", "salt", "signature")

REFUSED_MESSAGE = _(
    "The automatic check that a person is sending this form did not pass (it may have been "
    "used already). Nothing you typed is lost: send the form again and your browser will redo "
    "the check."
)


class Check(enum.Enum):
    """What came with a POST."""

    SOLVED = "solved"  # a solution we signed, for this form, fresh and never used before
    ABSENT = "absent"  # none (no JavaScript), or a genuine one whose challenge has expired
    REFUSED = "refused"  # forged, malformed, for another form, or replayed


class Admission(enum.Enum):
    """What to do with a form posted to a door robots knock on."""

    ADMITTED = "admitted"
    REFUSED = "refused"  # show the form again with REFUSED_MESSAGE, what was typed kept
    THROTTLED = "throttled"  # the 429 page


def hmac_key() -> str:
    """ALTCHA_HMAC_KEY, or a key derived from SECRET_KEY for this purpose only."""
    if settings.ALTCHA_HMAC_KEY:
        return settings.ALTCHA_HMAC_KEY
    return salted_hmac("common.altcha", "hmac-key", algorithm="sha256").hexdigest()


def challenge(form: str) -> dict:
    """A new signed challenge for `form`, as the browser's solver reads it.

    The form's name and the expiry go into the signed salt: a solution found for the help
    desk is refused at step 1, and one older than EXPIRY counts as no solution."""
    created = create_challenge(
        ChallengeOptions(
            algorithm=ALGORITHM,
            max_number=settings.ALTCHA_MAX_NUMBER,
            hmac_key=hmac_key(),
            expires=timezone.now() + EXPIRY,
            params={"form": form},
        )
    )
    return created.to_dict()


def check(request, *, form: str, fail_closed: bool = False) -> Check:
    """Judge the solution posted in the `altcha` field for `form`.

    A valid one is remembered as used until its challenge expires (cache.add, atomic across
    processes): a second POST with it is refused. When that memory cannot be reached, the
    throttles' policy applies (common.throttle): refused with the 503 page on a door that
    fails closed, accepted unremembered elsewhere."""
    raw = request.POST.get(FIELD, "")
    if not raw:
        return Check.ABSENT
    payload = _payload(raw)
    if payload is None:
        return Check.REFUSED
    key = hmac_key()
    # The library compares signatures with ==; compare in constant time first.
    expected = hmac_hex(ALGORITHM, payload["challenge"].encode(), key)
    if not constant_time_compare(expected, payload["signature"]):
        return Check.REFUSED
    valid, _error = verify_solution(payload, key, check_expires=False)
    params = extract_params(payload)
    if not valid or params.get("form") != [form]:
        return Check.REFUSED
    try:
        expires = int(params.get("expires", [""])[0])
    except ValueError:
        return Check.REFUSED
    remaining = expires - int(time.time())
    if remaining <= 0:
        return Check.ABSENT
    used = "altcha-used:" + hashlib.sha256(payload["challenge"].encode()).hexdigest()
    try:
        first_use = caches["counters"].add(used, True, timeout=remaining + 5)
    except CacheUnavailable as exc:
        if fail_closed:
            raise throttle.ThrottleUnavailable(form) from exc
        return Check.SOLVED
    if not first_use:
        return Check.REFUSED
    return Check.SOLVED


def admit(
    request,
    *,
    form: str,
    group: str,
    rates: list[str],
    rates_without_challenge: list[str],
    fail_closed: bool = False,
) -> Admission:
    """The decision for a form that people without JavaScript must still be able to send.

    A solved challenge counts one hit against the client's `rates`; no solution (or an expired
    one) is not refused but counts against the stricter `rates_without_challenge` too; an
    invalid or replayed solution is refused and counts nothing (its form does no work)."""
    verdict = check(request, form=form, fail_closed=fail_closed)
    if verdict is Check.REFUSED:
        return Admission.REFUSED
    over = throttle.exceeded(request, group=group, rates=rates, fail_closed=fail_closed)
    if verdict is Check.ABSENT:
        over_strict = throttle.exceeded(
            request,
            group=f"{group}-without-challenge",
            rates=rates_without_challenge,
            fail_closed=fail_closed,
        )
        over = over or over_strict
    return Admission.THROTTLED if over else Admission.ADMITTED


def _payload(raw: str) -> dict | None:
    """The base64 JSON payload as the library expects it, or None when it is not one."""
    if len(raw) > MAX_PAYLOAD_LENGTH:
        return None
    try:
        data = json.loads(base64.b64decode(raw, validate=True))
    except (ValueError, RecursionError):  # bad base64, bytes, UTF-8 or JSON
        return None
    if not isinstance(data, dict) or data.get("algorithm") != ALGORITHM:
        return None
    if not all(isinstance(data.get(name), str) for name in ("challenge", "salt", "signature")):
        return None
    number = data.get("number")
    if type(number) is not int or not 0 <= number <= 2**53:
        return None
    return {name: data[name] for name in _FIELDS}
