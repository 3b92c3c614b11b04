"""How long the records of log-ins kept by django-axes live."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings

from common.retention import delete_in_batches, retention_limit


def failed_login_purge_old(*, now=None) -> int:
    """Delete axes' records (failed attempts, failure log, log-in log) whose last attempt is
    older than RETENTION_FAILED_LOGINS_DAYS; returns how many.

    A lock-out lasts minutes (AXES_COOLOFF_MINUTES), so a record this old blocks nobody; it only
    keeps an IP address and the address someone typed.
    """
    limit = retention_limit(settings.RETENTION_FAILED_LOGINS_DAYS, now=now)
    return sum(
        delete_in_batches(model.objects.filter(attempt_time__lt=limit))
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
