"""Checking structures against their register (INSEE for a SIRET, VIES for an EU VAT number)
after registration, when the register was unreachable."""

import logging

from django.db import transaction
from django.utils import timezone

from structures import sirene, vies
from structures.identifiers import IdentifierType
from structures.models import Structure
from structures.official import official_from_establishment, official_from_vat_record

logger = logging.getLogger(__name__)


CHECKED_TYPES = (IdentifierType.SIRET, IdentifierType.EU_VAT)


def _unavailable(structure: Structure, exc: Exception) -> str:
    Structure.objects.filter(pk=structure.pk).update(insee_last_error=str(exc)[:255])
    structure.insee_last_error = str(exc)[:255]
    return "unavailable"


def verify_structure(structure: Structure) -> str:
    """Ask the structure's register about it and record the answer for the admins.

    Returns the new verification state; "unavailable" leaves the structure as it was (to be
    tried again), apart from the error noted. A type with no register is left as it is.
    """
    if structure.identifier_type == IdentifierType.EU_VAT:
        return _verify_vat(structure)
    if structure.identifier_type != IdentifierType.SIRET:
        return structure.verification
    official = None
    try:
        establishment = sirene.lookup_establishment(structure.siret)
    except sirene.EstablishmentNotFound:
        state, snapshot, error, source = Structure.Verification.NOT_FOUND, None, "", ""
    except sirene.EstablishmentNotPublic:
        state, snapshot, error, source = Structure.Verification.NOT_PUBLIC, None, "", ""
    except sirene.SireneUnavailable as exc:
        return _unavailable(structure, exc)
    else:
        state = (
            Structure.Verification.VERIFIED
            if establishment.is_active
            else Structure.Verification.CLOSED
        )
        snapshot, error, source = establishment.raw or None, "", establishment.source
        official = official_from_establishment(establishment)
    return _record(
        structure, state=state, snapshot=snapshot, error=error, official=official, source=source
    )


def _verify_vat(structure: Structure) -> str:
    try:
        record = vies.check_vat(structure.identifier)
    except vies.VatNumberInvalid:
        state, snapshot, official = Structure.Verification.NOT_FOUND, None, None
    except vies.ViesUnavailable as exc:
        return _unavailable(structure, exc)
    else:
        state, snapshot = Structure.Verification.VERIFIED, record.raw or None
        official = official_from_vat_record(record)
    return _record(structure, state=state, snapshot=snapshot, error="", official=official)


def _record(structure, *, state, snapshot, error, official, source: str = "") -> str:
    with transaction.atomic():
        locked = Structure.objects.select_for_update().get(pk=structure.pk)
        locked.verification = state
        if snapshot is not None:
            locked.insee_snapshot = snapshot
            locked.insee_source = source
        if official is not None:
            locked.official_values = official
        locked.insee_checked_at = timezone.now()
        locked.insee_last_error = error
        locked.save(
            update_fields=[
                "verification",
                "insee_snapshot",
                "insee_source",
                "official_values",
                "insee_checked_at",
                "insee_last_error",
                "updated_at",
            ]
        )
    structure.refresh_from_db()
    logger.info("verification: structure %s is now %s", structure.pk, state)
    return state


def verify_pending(*, limit: int) -> dict:
    """Verify up to `limit` structures not verified yet, oldest first, stopping at the first
    "unavailable" (the register or our rate limit says no: trying the others now is waste)."""
    results: dict[str, int] = {}
    pending = Structure.objects.filter(
        verification=Structure.Verification.PENDING, identifier_type__in=CHECKED_TYPES
    ).order_by("insee_checked_at", "created_at")[:limit]
    for structure in pending:
        state = verify_structure(structure)
        results[state] = results.get(state, 0) + 1
        if state == "unavailable":
            break
    return results
