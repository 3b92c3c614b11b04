"""Nobody can squat a structure: until someone activates an account in it, each registrant
gets their own activation link, and the first to activate becomes primary manager."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures.models import Membership, Structure
from tests import journey
from tests.factories import MembershipFactory, StructureFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db

GOOD = {
    "password": "ÉtéFacture2026",
    "confirmation": "ÉtéFacture2026",
    "secret_question": "pet",
    "custom_question": "",
    "answer": "Médor",
}


def register(email: str, **details) -> Client:
    client = Client()
    journey.register(client, email, **details)
    deliver(to=email)  # the link is minted when its mail leaves
    return client


def activate(client: Client, email: str) -> None:
    assert client.get(journey.activation_path(email)).status_code == 302
    response = client.post("/activate/", GOOD)
    assert response.status_code == 302, response.content.decode()[:2000]


def membership_of(email: str) -> Membership:
    return Membership.objects.select_related("structure").get(user__email=email)


def test_a_never_activated_registrant_blocks_nobody():
    """A second registrant of the same SIRET is not a join requester of the first, who never
    activated: step 2 offers the structure's fields, and both hold an activation link."""
    register("squatter@example.org")
    client = Client()
    journey.step1(client, "real@example.org", journey.COMPANY_SIRET)
    page = client.get("/register/details/").content.decode()
    assert "is already registered on Chorus Pro" not in page
    assert 'name="company_name"' in page
    journey.step2(client)
    journey.step3(client)
    assert OutgoingEmail.objects.filter(kind="activation", to="real@example.org").exists()
    assert membership_of("real@example.org").claimant
    assert Structure.objects.filter(siret=journey.COMPANY_SIRET).count() == 1


def test_the_first_to_activate_becomes_primary_manager_the_other_a_requester():
    """The second registrant activates first and wins, the structure taking their values;
    the squatter who activates later becomes a join requester of that manager."""
    squatter = register("squatter@example.org", company_name="Squatted", city="Nowhere")
    real = register("real@example.org", company_name="Ateliers du Pont Neuf")
    activate(real, "real@example.org")
    structure = Structure.objects.get(siret=journey.COMPANY_SIRET)
    assert (structure.name, structure.city) == ("Ateliers du Pont Neuf", "Toulouse")
    won = membership_of("real@example.org")
    assert (won.role, won.status) == (Membership.Role.PRIMARY_MANAGER, Membership.Status.ACTIVE)
    lost = membership_of("squatter@example.org")
    assert (lost.role, lost.claimant) == (Membership.Role.USER, True)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.STRUCTURE_CLAIMED).count() == 1
    activate(squatter, "squatter@example.org")
    lost.refresh_from_db()
    assert (lost.role, lost.status) == (Membership.Role.USER, Membership.Status.REQUESTED)
    request_mail = OutgoingEmail.objects.get(kind="join_request")
    assert request_mail.to == "real@example.org"


def test_the_first_registrant_who_activates_first_keeps_the_role():
    """When the first registrant activates first, the second becomes a requester."""
    first = register("first@example.org")
    second = register("second@example.org")
    activate(first, "first@example.org")
    activate(second, "second@example.org")
    assert membership_of("first@example.org").role == Membership.Role.PRIMARY_MANAGER
    assert membership_of("second@example.org").status == Membership.Status.REQUESTED


def test_a_structure_with_an_active_member_is_joined():
    """Once someone is active in it, a newcomer sees it read-only and will be a requester."""
    MembershipFactory(primary_manager=True, structure__siret=journey.COMPANY_SIRET)
    client = register("newcomer@example.org")
    membership = membership_of("newcomer@example.org")
    assert not membership.claimant
    activate(client, "newcomer@example.org")
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REQUESTED


def test_official_values_are_kept_apart_from_typed_ones(client):
    """The registrant's corrections change the structure, never INSEE's values, and the
    structure page shows both."""
    journey.register(client, "claire@example.org", company_name="Pont Neuf (typed)")
    structure = Structure.objects.get(siret=journey.COMPANY_SIRET)
    assert structure.name == "Pont Neuf (typed)"
    assert structure.official_values["name"] != "Pont Neuf (typed)"
    manager = MembershipFactory(primary_manager=True, structure=StructureFactory())
    manager.structure.official_values = {"name": "OFFICIAL NAME", "city": "Toulouse"}
    manager.structure.save()
    client.force_login(manager.user)
    page = client.get(f"/structures/{manager.structure.pk}/").content.decode()
    assert "OFFICIAL NAME" in page and manager.structure.name in page
