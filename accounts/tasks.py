"""Periodic work of accounts."""

from celery import shared_task

from accounts.retention import failed_login_purge_old


@shared_task
def purge_old_failed_logins() -> int:
    """Delete django-axes' log-in records older than RETENTION_FAILED_LOGINS_DAYS."""
    return failed_login_purge_old()
