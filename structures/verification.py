"""Checking structures against INSEE after registration, when the register was unreachable."""

import logging

from django.db import transaction
from django.utils import timezone

from structures import sirene
from structures.models import Structure

logger = logging.getLogger(__name__)


def verify_structure(structure: Structure) -> str:
    """Ask INSEE about the structure and record the answer for the admins.

    Returns the new verification state; "unavailable" leaves the structure as it was (to be
    tried again), apart from the error noted.
    """
    try:
        establishment = sirene.lookup_establishment(structure.siret)
    except sirene.EstablishmentNotFound:
        state, snapshot, error, source = Structure.Verification.NOT_FOUND, None, "", ""
    except sirene.EstablishmentNotPublic:
        state, snapshot, error, source = Structure.Verification.NOT_PUBLIC, None, "", ""
    except sirene.SireneUnavailable as exc:
        Structure.objects.filter(pk=structure.pk).update(insee_last_error=str(exc)[:255])
        structure.insee_last_error = str(exc)[:255]
        return "unavailable"
    else:
        state = (
            Structure.Verification.VERIFIED
            if establishment.is_active
            else Structure.Verification.CLOSED
        )
        snapshot, error, source = establishment.raw or None, "", establishment.source
    with transaction.atomic():
        locked = Structure.objects.select_for_update().get(pk=structure.pk)
        locked.verification = state
        if snapshot is not None:
            locked.insee_snapshot = snapshot
            locked.insee_source = source
        locked.insee_checked_at = timezone.now()
        locked.insee_last_error = error
        locked.save(
            update_fields=[
                "verification",
                "insee_snapshot",
                "insee_source",
                "insee_checked_at",
                "insee_last_error",
                "updated_at",
            ]
        )
    structure.refresh_from_db()
    logger.info("verification: structure %s is now %s", structure.siret, state)
    return state


def verify_pending(*, limit: int) -> dict:
    """Verify up to `limit` structures not verified yet, oldest first, stopping at the first
    "unavailable" (the register or our rate limit says no: trying the others now is waste)."""
    results: dict[str, int] = {}
    pending = Structure.objects.filter(verification=Structure.Verification.PENDING).order_by(
        "insee_checked_at", "created_at"
    )[:limit]
    for structure in pending:
        state = verify_structure(structure)
        results[state] = results.get(state, 0) + 1
        if state == "unavailable":
            break
    return results
