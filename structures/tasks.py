"""Periodic work of structures."""

import logging

from celery import shared_task
from django.conf import settings

from structures.models import SireneMirror
from structures.sirene.update import UpdateFailed, mirror_update
from structures.verification import verify_pending

logger = logging.getLogger(__name__)


@shared_task
def verify_unverified_structures() -> dict:
    """Check the structures registered while INSEE was unreachable. Runs every two minutes and
    uses at most a third of the per-minute INSEE budget, so registrations keep the rest."""
    return verify_pending(limit=max(1, settings.SIRENE_RATE_LIMIT // 3))


@shared_task
def update_sirene_mirror() -> dict:
    """Daily: the establishments INSEE changed since the mirror's date (nothing to do when
    there is no mirror, or no INSEE API key, as in development)."""
    if not settings.SIRENE_API_KEY:
        return {"skipped": "no INSEE API key"}
    if SireneMirror.objects.filter(pk=1, establishments__gt=0).exists():
        try:
            summary = mirror_update()
        except UpdateFailed as failure:
            logger.warning("sirene update failed: %s", failure)
            return {"error": str(failure)}
        return {"changes": summary.changes, "pages": summary.pages}
    return {"skipped": "no mirror"}
