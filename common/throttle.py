"""Throttles on the doors robots knock on, counted in the shared cache (django-ratelimit)."""

import hashlib

from django_ratelimit.core import get_usage

from common.http import client_ip, throttle_key


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _usages(request, *, group: str, rates: list[str], key: str | None, increment: bool):
    # Per IP, an IPv6 client counts as its /64 (see common.http.throttle_key).
    value = _digest(key if key is not None else throttle_key(client_ip(request)))
    for rate in rates:
        usage = get_usage(
            request,
            group=f"{group}:{rate}",
            key=lambda _group, _request: value,
            rate=rate,
            increment=increment,
        )
        if usage is not None:
            yield usage


def exceeded(request, *, group: str, rates: list[str], key: str | None = None) -> bool:
    """Count one hit for `key` (the client's IP when None) against every rate of `group`;
    True when any of them is exceeded. Keys are hashed: no address is stored in clear."""
    usages = list(_usages(request, group=group, rates=rates, key=key, increment=True))
    return any(usage["should_limit"] for usage in usages)


def peek(request, *, group: str, rates: list[str], key: str | None = None) -> int:
    """Count nothing; the seconds until the budget of `group` for `key` (the client's IP when
    None) frees up when some rate is already used up (the next hit would exceed it), else 0.

    A budget checked before the work it guards (a password verified, say) and counted after
    only when that work failed: peek first, then `exceeded()` on failure. Like `exceeded()`,
    it fails closed when the cache does not answer."""
    wait = 0
    for usage in _usages(request, group=group, rates=rates, key=key, increment=False):
        if usage["should_limit"] or usage["count"] >= usage["limit"]:
            wait = max(wait, usage["time_left"], 1)
    return wait


def over(request, *, group: str, rates: list[str], key: str | None = None) -> bool:
    """True when some rate of `group` is used up for `key`; counts nothing (see `peek()`)."""
    return peek(request, group=group, rates=rates, key=key) > 0


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
