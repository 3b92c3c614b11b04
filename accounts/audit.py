"""The audit log, written by the services; the request's IP and user agent come from a context."""

import contextvars
from dataclasses import dataclass

from chorus.http import UNKNOWN, client_ip


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


class RequestContextMiddleware:
    """Makes the client's IP and user agent available to services without passing the request."""

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


def record(kind, *, user=None, actor=None, email="", **detail):
    """Write one audit event, with the current request's IP and user agent when there is one."""
    from accounts.models import AuditEvent

    context = _current.get()
    if not email and user is not None:
        email = user.email
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        actor=actor,
        email=(email or "")[:254],
        ip_address=context.ip_address if context else None,
        user_agent=context.user_agent if context else "",
        detail=detail,
    )
