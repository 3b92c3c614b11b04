"""The client's IP address, as seen through the trusted reverse proxies."""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

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


def throttle_key(address: str) -> str:
    """What per-IP throttles count an address as: an IPv4 address itself, an IPv6 address's
    /64 network (one subscriber commonly holds a whole /64, and picks any address in it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


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
        # Fewer entries than proxies: the request did not come through all of them, so every
        # entry may have been written by the client. Only the socket's address is known.
        logger.warning(
            "client_ip: X-Forwarded-For has %d entries, TRUSTED_PROXY_COUNT is %d; using the "
            "socket address",
            len(forwarded),
            count,
        )
        return remote
    return forwarded[-count]
