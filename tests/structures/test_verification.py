"""Structures registered while INSEE was unreachable are verified later by a periodic task."""

import pytest

from structures.models import Structure
from structures.tasks import verify_unverified_structures
from structures.verification import verify_structure
from tests import journey
from tests.factories import StructureFactory

pytestmark = pytest.mark.django_db


def pending(siret):
    return StructureFactory(
        siret=siret, verification=Structure.Verification.PENDING, insee_snapshot=None
    )


def test_found_structure_becomes_verified_with_its_snapshot():
    """A structure INSEE knows is marked verified, with the response kept for the admins."""
    structure = pending(journey.SECONDARY_SIRET)
    assert verify_structure(structure) == Structure.Verification.VERIFIED
    structure.refresh_from_db()
    assert structure.insee_snapshot["etablissement"]["siret"] == journey.SECONDARY_SIRET
    assert structure.insee_checked_at is not None


def test_unknown_and_closed_are_recorded():
    """Unknown to INSEE and closed establishments are recorded as such."""
    unknown = pending(journey.UNKNOWN_SIRET)
    closed = pending(journey.CLOSED_SIRET)
    verify_structure(unknown)
    verify_structure(closed)
    assert Structure.objects.get(pk=unknown.pk).verification == Structure.Verification.NOT_FOUND
    assert Structure.objects.get(pk=closed.pk).verification == Structure.Verification.CLOSED


def test_unavailable_leaves_it_pending_with_the_error():
    """INSEE still down: the structure stays to be verified, the error is noted."""
    structure = pending(journey.UNAVAILABLE_SIRET)
    assert verify_structure(structure) == "unavailable"
    structure.refresh_from_db()
    assert structure.verification == Structure.Verification.PENDING
    assert structure.insee_last_error


def test_periodic_task_uses_a_third_of_the_budget(settings):
    """The task verifies at most SIRENE_RATE_LIMIT // 3 structures a run."""
    settings.SIRENE_RATE_LIMIT = 6
    for siret in (journey.COMPANY_SIRET, journey.SECONDARY_SIRET, journey.PARIS_SIRET):
        pending(siret)
    assert verify_unverified_structures() == {"verified": 2}
    assert Structure.objects.filter(verification="pending").count() == 1


def test_periodic_task_stops_at_the_first_unavailable(settings):
    """When INSEE (or our limiter) says no, the run stops instead of burning attempts."""
    pending(journey.UNAVAILABLE_SIRET)
    pending(journey.COMPANY_SIRET)
    result = verify_unverified_structures()
    assert result == {"unavailable": 1}
    assert Structure.objects.filter(verification="pending").count() == 2


def test_registration_while_insee_down_is_verified_later(client, settings, tmp_path):
    """End to end: registered "not verified", then verified once INSEE answers."""
    journey.register(client, "later@example.org", siret=journey.UNAVAILABLE_SIRET)
    structure = Structure.objects.get(siret=journey.UNAVAILABLE_SIRET)
    assert structure.verification == Structure.Verification.PENDING
    import json
    from pathlib import Path

    stub = json.loads(Path(settings.SIRENE_STUB_FILE).read_text())
    body = json.loads(json.dumps(stub[journey.COMPANY_SIRET]))
    body["etablissement"]["siret"] = journey.UNAVAILABLE_SIRET
    stub[journey.UNAVAILABLE_SIRET] = body
    path = tmp_path / "stub.json"
    path.write_text(json.dumps(stub))
    settings.SIRENE_STUB_FILE = str(path)  # INSEE answers now
    verify_unverified_structures()
    structure.refresh_from_db()
    assert structure.verification == Structure.Verification.VERIFIED
