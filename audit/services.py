"""Writing the audit log. Services call `record()`; the admin calls `record_admin_action()`."""

import hashlib
import hmac

from django.conf import settings

from audit.context import current
from audit.models import AuditEvent
from common import metrics


def record(kind, *, user=None, actor=None, email="", **detail) -> AuditEvent:
    """Write one audit event, with the current request's IP and user agent when there is one."""
    context = current()
    metrics.AUDIT_EVENTS.labels(kind=str(kind)).inc()
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


def record_admin_action(
    request, *, action: str, obj, user=None, email: str = "", **detail
) -> AuditEvent:
    """Write the audit event of one object changed by an admin action, the admin as actor.

    `user` and `email` name the person concerned, when there is one.
    """
    return record(
        AuditEvent.Kind.ADMIN_ACTION,
        user=user,
        actor=request.user,
        email=email,
        action=action,
        object=str(obj)[:200],
        model=obj._meta.label_lower,
        pk=obj.pk,
        **detail,
    )


def pseudonym(email: str) -> str:
    """What an audit event keeps of the address of a person whose data was erased: a keyed
    hash, the same for the same address (events stay linkable), useless to anyone without the
    secret key."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"audit-pseudonym:{email}".encode(), hashlib.sha256
    ).hexdigest()
    return f"erased:{digest[:24]}"
