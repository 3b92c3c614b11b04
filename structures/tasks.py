"""Periodic work of structures."""

from celery import shared_task
from django.conf import settings

from structures.verification import verify_pending


@shared_task
def verify_unverified_structures() -> dict:
    """Check the structures registered while INSEE was unreachable. Runs every two minutes and
    uses at most a third of the per-minute INSEE budget, so registrations keep the rest."""
    return verify_pending(limit=max(1, settings.SIRENE_RATE_LIMIT // 3))
