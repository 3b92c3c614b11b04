"""The request's IP and user agent, made available to services without passing the request."""

import contextvars
from dataclasses import dataclass

from common.http import UNKNOWN, client_ip


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


class RequestContextMiddleware:
    """Every audit event written while a request runs carries its IP and user agent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(
            RequestContext(
                ip_address=_known(client_ip(request)),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def _known(address: str) -> str | None:
    """client_ip answers a valid address, or UNKNOWN when it has none: store that as empty."""
    return None if address == UNKNOWN else address
