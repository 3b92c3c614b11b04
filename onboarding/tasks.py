"""Background work of the journey: forgetting the registrations nobody activated."""

from celery import shared_task

from onboarding.services.registration import registration_purge_abandoned


@shared_task
def purge_abandoned_registrations() -> int:
    """Delete the accounts never activated, 7 days after their last link expired."""
    return registration_purge_abandoned()
