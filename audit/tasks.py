"""Periodic work of the audit log."""

from celery import shared_task

from audit.retention import audit_event_purge_old


@shared_task
def purge_old_audit_events() -> int:
    """Delete the audit events past their retention (a year; failed log-ins sooner)."""
    return audit_event_purge_old()
