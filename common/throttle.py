"""Throttles on the doors robots knock on, counted in the shared cache (django-ratelimit)."""

import hashlib

from django_ratelimit.core import get_usage

from common.http import client_ip


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def exceeded(request, *, group: str, rates: list[str], key: str | None = None) -> bool:
    """Count one hit for `key` (the client's IP when None) against every rate of `group`;
    True when any of them is exceeded. Keys are hashed: no address is stored in clear."""
    value = _digest(key if key is not None else client_ip(request))
    over = False
    for rate in rates:
        usage = get_usage(
            request,
            group=f"{group}:{rate}",
            key=lambda _group, _request: value,
            rate=rate,
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            over = True
    return over


# The rates, in one place.
REGISTRATION_START_PER_IP = ["20/m", "200/h"]
RESEND_PER_ADDRESS = ["1/m", "5/d"]
RESEND_PER_IP = ["5/m", "50/d"]
ACTIVATION_PER_TOKEN = ["10/h"]
ACTIVATION_PER_IP = ["30/h"]
PASSWORD_FORGOT_PER_ADDRESS = ["1/m", "5/d"]
PASSWORD_FORGOT_PER_IP = ["10/h"]
RECOVERY_PER_IP = ["30/h"]
HELP_QUESTION_PER_IP = ["5/h", "20/d"]
