"""The client's IP address, as seen through the trusted reverse proxies."""

import ipaddress

from django.conf import settings

UNKNOWN = "0.0.0.0"  # noqa: S104 - a placeholder address, never bound


def _valid(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    address = _client_ip(request)
    return address if _valid(address) else UNKNOWN


def _client_ip(request) -> str:
    """Return the address of the client that reached our first trusted proxy.

    X-Forwarded-For is written by the client too, so only the entries appended by our own
    proxies (the last TRUSTED_PROXY_COUNT ones) are believed; with no proxy it is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "") or UNKNOWN
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return forwarded[0] if forwarded else remote
    return forwarded[-count]
