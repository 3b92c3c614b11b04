"""How long the audit log keeps an event."""

from django.conf import settings

from audit.models import AuditEvent
from common.retention import delete_in_batches, retention_limit

# Failed log-ins and lock-outs are kept only as long as the failed-log-in records of axes: they
# name addresses someone typed, often not the owner.
FAILED_LOGIN_KINDS = (AuditEvent.Kind.LOGIN_FAILURE, AuditEvent.Kind.LOCKOUT)


def audit_event_purge_old(*, now=None) -> int:
    """Delete the events older than RETENTION_AUDIT_DAYS, and the failed log-ins and lock-outs
    older than RETENTION_FAILED_LOGINS_DAYS; returns how many."""
    failed_logins = delete_in_batches(
        AuditEvent.objects.filter(
            kind__in=FAILED_LOGIN_KINDS,
            created_at__lt=retention_limit(settings.RETENTION_FAILED_LOGINS_DAYS, now=now),
        )
    )
    others = delete_in_batches(
        AuditEvent.objects.filter(
            created_at__lt=retention_limit(settings.RETENTION_AUDIT_DAYS, now=now)
        )
    )
    return failed_logins + others
