"""Joining by proof: a primary manager proves an e-mail domain by a mailed link; a newcomer
at that domain joins as a user once activated, and the managers are told."""

from urllib.parse import urlparse

import pytest
from django.test import Client

from outbox.models import OutgoingEmail
from structures.models import Membership, StructureDomain
from tests import journey
from tests.factories import MembershipFactory
from tests.mail import deliver, last_link

pytestmark = pytest.mark.django_db

GOOD = {
    "password": "ÉtéFacture2026",
    "confirmation": "ÉtéFacture2026",
    "secret_question": "pet",
    "custom_question": "",
    "answer": "Médor",
}


@pytest.fixture
def manager():
    return MembershipFactory(primary_manager=True, structure__siret=journey.COMPANY_SIRET)


def declare(client, manager, address):
    client.force_login(manager.user)
    return client.post(f"/structures/{manager.structure.pk}/", {"domain_address": address})


def prove(client, address):
    path = urlparse(last_link(address, "/structure/domain/")).path
    assert client.get(path).status_code == 302
    assert "ateliers.fr" in client.get("/structure/domain/").content.decode()
    return client.post("/structure/domain/")


def test_webmail_domains_are_refused(client, manager):
    """gmail.com, orange.fr (and their sub-domains) cannot be declared; nothing is mailed."""
    for address in ("boss@gmail.com", "boss@orange.fr", "boss@mail.outlook.fr"):
        page = declare(client, manager, address).content.decode()
        assert "is a webmail" in page
    assert not StructureDomain.objects.exists()
    assert not OutgoingEmail.objects.filter(kind="domain_proof").exists()


def test_only_the_primary_manager_declares_a_domain(client):
    """A plain member's post is refused and mails nothing."""
    member = MembershipFactory()
    client.force_login(member.user)
    response = client.post(f"/structures/{member.structure.pk}/", {"domain_address": "a@b.fr"})
    assert response.status_code == 403
    assert not OutgoingEmail.objects.filter(kind="domain_proof").exists()


def test_domain_proven_by_the_mailed_link_once(client, manager):
    """The link goes to the address given, proves its domain, and works once."""
    assert declare(client, manager, "compta@Ateliers.fr").status_code == 302
    assert StructureDomain.objects.get().proven_at is None
    assert prove(client, "compta@Ateliers.fr").status_code == 302
    declared = StructureDomain.objects.get()
    assert (declared.domain, declared.structure) == ("ateliers.fr", manager.structure)
    assert declared.proven_at is not None
    again = client.post("/structure/domain/").content.decode()
    assert "This link is not valid any more" in again


def test_newcomer_at_a_proven_domain_joins_without_waiting(client, manager):
    """Activated, the newcomer at the domain is an active user; the managers are mailed; a
    newcomer at another domain still waits for approval."""
    declare(client, manager, "compta@ateliers.fr")
    prove(client, "compta@ateliers.fr")
    for email in ("nadia@ateliers.fr", "nadia@elsewhere.fr"):
        newcomer = Client()
        journey.register(newcomer, email)
        deliver(to=email)
        assert newcomer.get(journey.activation_path(email)).status_code == 302
        assert newcomer.post("/activate/", GOOD).status_code == 302
    joined = Membership.objects.get(user__email="nadia@ateliers.fr")
    assert (joined.status, joined.role) == (Membership.Status.ACTIVE, Membership.Role.USER)
    told = OutgoingEmail.objects.get(kind="joined_by_domain")
    assert told.to == manager.user.notification_email
    waiting = Membership.objects.get(user__email="nadia@elsewhere.fr")
    assert waiting.status == Membership.Status.REQUESTED


def test_an_unproven_domain_lets_nobody_in(client, manager):
    """Declared but never proven: a newcomer at the domain waits for approval like anyone."""
    declare(client, manager, "compta@ateliers.fr")
    journey.register(client, "nadia@ateliers.fr")
    deliver(to="nadia@ateliers.fr")
    client.get(journey.activation_path("nadia@ateliers.fr"))
    client.post("/activate/", GOOD)
    assert Membership.objects.get(user__email="nadia@ateliers.fr").status == "requested"


def test_webmail_providers_under_other_country_domains_and_public_inboxes_are_refused(
    client, manager
):
    """yahoo.co.uk, hotmail.de, gmx.at, yopmail.com: an address there proves no company."""
    for address in ("a@yahoo.co.uk", "a@hotmail.de", "a@gmx.at", "a@yopmail.com"):
        assert "is a webmail" in declare(client, manager, address).content.decode()
    assert not StructureDomain.objects.exists()


def test_a_domain_joiner_gets_only_opened_areas_read_only(client, manager):
    """Nobody chose the rights of someone who joined by domain: of the areas they ticked they
    keep those the structure has opened, in Consultation."""
    from workareas.models import AreaAssignment, WorkArea

    opened = WorkArea.objects.get(code="issued-invoices")
    AreaAssignment.objects.get_or_create(membership=manager, area=opened)
    declare(client, manager, "compta@ateliers.fr")
    prove(client, "compta@ateliers.fr")
    newcomer = Client()
    journey.register(newcomer, "lina@ateliers.fr", areas=("issued-invoices", "commitments"))
    deliver(to="lina@ateliers.fr")
    newcomer.get(journey.activation_path("lina@ateliers.fr"))
    assert newcomer.post("/activate/", GOOD).status_code == 302
    joined = Membership.objects.get(user__email="lina@ateliers.fr")
    rights = {
        a.area.code: a.mode
        for a in AreaAssignment.objects.filter(membership=joined, area__always_on=False)
    }
    assert rights == {"issued-invoices": AreaAssignment.Mode.CONSULTATION}
