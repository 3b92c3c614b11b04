"""Throttles on the doors robots knock on, counted in the shared cache (django-ratelimit).

When the counters cannot be read (Redis down), each door follows one written policy:
- fail closed (`fail_closed=True`) on the doors that protect INSEE's quota (step 1's look-ups)
  and the log-in (password failures): ThrottleUnavailable is raised and the visitor gets the
  site's 503 page, "try again in a minute" (common.outage). Without the count, a robot could
  spend the quota or guess passwords unchecked.
- fail open everywhere else (mails asked for, activation, help questions...): the request goes
  through uncounted and a warning is logged. Those doors have other limits (the mail budget per
  address, single-use links, the database's own checks) and a person who needs them should not
  be turned away because a counter is unreachable.
"""

import hashlib
import logging

from django_ratelimit.core import get_usage

from common.cache import CacheUnavailable
from common.http import client_ip, throttle_key

logger = logging.getLogger(__name__)


class ThrottleUnavailable(Exception):
    """A door that fails closed cannot count its visitors right now."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _usages(
    request, *, group: str, rates: list[str], key: str | None, increment: bool, fail_closed: bool
) -> list[dict]:
    # Per IP, an IPv6 client counts as its /64 (see common.http.throttle_key).
    value = _digest(key if key is not None else throttle_key(client_ip(request)))
    try:
        usages = [
            get_usage(
                request,
                group=f"{group}:{rate}",
                key=lambda _group, _request: value,
                rate=rate,
                increment=increment,
            )
            for rate in rates
        ]
    except CacheUnavailable as exc:
        if fail_closed:
            logger.error("throttle %s: counters unreachable, refusing the request", group)
            raise ThrottleUnavailable(group) from exc
        logger.warning("throttle %s: counters unreachable, letting the request through", group)
        return []
    return [usage for usage in usages if usage is not None]


def exceeded(
    request, *, group: str, rates: list[str], key: str | None = None, fail_closed: bool = False
) -> bool:
    """Count one hit for `key` (the client's IP when None) against every rate of `group`;
    True when any of them is exceeded. Keys are hashed: no address is stored in clear.
    `fail_closed`: see the module's policy."""
    usages = _usages(
        request, group=group, rates=rates, key=key, increment=True, fail_closed=fail_closed
    )
    return any(usage["should_limit"] for usage in usages)


def peek(
    request, *, group: str, rates: list[str], key: str | None = None, fail_closed: bool = False
) -> int:
    """Count nothing; the seconds until the budget of `group` for `key` (the client's IP when
    None) frees up when some rate is already used up (the next hit would exceed it), else 0.

    A budget checked before the work it guards (a password verified, say) and counted after
    only when that work failed: peek first, then `exceeded()` on failure."""
    wait = 0
    usages = _usages(
        request, group=group, rates=rates, key=key, increment=False, fail_closed=fail_closed
    )
    for usage in usages:
        if usage["should_limit"] or usage["count"] >= usage["limit"]:
            wait = max(wait, usage["time_left"], 1)
    return wait


def over(
    request, *, group: str, rates: list[str], key: str | None = None, fail_closed: bool = False
) -> bool:
    """True when some rate of `group` is used up for `key`; counts nothing (see `peek()`)."""
    return peek(request, group=group, rates=rates, key=key, fail_closed=fail_closed) > 0


# The rates, in one place. Those an operator tunes are settings instead: LOGIN_IP_FAILURE_RATE,
# LOGIN_CHALLENGE_AFTER, STEP1_LOOKUPS_PER_IP[_WITHOUT_CHALLENGE] and
# HELP_QUESTIONS_PER_IP_WITHOUT_CHALLENGE.
# Mails a visitor can make us send to an address (activation link, registration again, reset
# link) are counted per address AND IP, so that a stranger cannot use up the owner's budget,
# with a higher cap per address whatever the IP, and a cap per IP whatever the address.
MAIL_PER_ADDRESS_AND_IP = ["1/m", "5/d"]
MAIL_PER_ADDRESS = ["20/d"]
RESEND_PER_IP = ["5/m", "50/d"]
# Step 3 (whose step 1 is throttled per IP already): an office registering its colleagues.
REGISTRATION_MAILS_PER_IP = ["20/m", "500/d"]
ACTIVATION_PER_TOKEN = ["10/h"]
ACTIVATION_PER_IP = ["30/h"]
PASSWORD_FORGOT_PER_IP = ["10/h"]
RECOVERY_PER_IP = ["30/h"]
HELP_QUESTION_PER_IP = ["5/h", "20/d"]


def mail_to_address_exceeded(request, *, group: str, address: str, per_ip: list[str]) -> bool:
    """Count one mail of `group` to `address` requested from this client; True when any
    budget is used up (per address and IP, per address, per IP): then send nothing and answer
    the same neutral message."""
    ip = throttle_key(client_ip(request))
    over_pair = exceeded(
        request, group=f"{group}-address-ip", rates=MAIL_PER_ADDRESS_AND_IP, key=f"{address} {ip}"
    )
    over_address = exceeded(request, group=f"{group}-address", rates=MAIL_PER_ADDRESS, key=address)
    over_ip = exceeded(request, group=f"{group}-ip", rates=per_ip)
    return over_pair or over_address or over_ip
