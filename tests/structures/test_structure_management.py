"""The structure for its managers: edits, masking, role transfer, join requests."""

import pytest

from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures.models import Membership
from tests.factories import PASSWORD, MembershipFactory
from workareas.models import AreaAssignment

pytestmark = pytest.mark.django_db

EDIT = {
    "name": "Ateliers Renommés",
    "address_line": "1 Rue Neuve",
    "address_complement": "",
    "postal_code": "69003",
    "city": "Lyon",
    "country": "FR",
}


def test_primary_manager_edits_the_structure_but_not_its_siret(client, manager):
    """Every field but the identifier can be changed by the primary manager."""
    client.force_login(manager.user)
    siret = manager.structure.siret
    response = client.post(
        f"/structures/{manager.structure_id}/", {**EDIT, "siret": "00000000000000"}
    )
    assert response.status_code == 302
    manager.structure.refresh_from_db()
    assert manager.structure.name == "Ateliers Renommés" and manager.structure.city == "Lyon"
    assert manager.structure.siret == siret
    assert AuditEvent.objects.filter(kind="structure_change").exists()


def test_plain_member_cannot_edit(client, manager):
    """A user of the structure sees it but cannot change it."""
    member = MembershipFactory(structure=manager.structure)
    client.force_login(member.user)
    assert client.get(f"/structures/{manager.structure_id}/").status_code == 200
    assert client.post(f"/structures/{manager.structure_id}/", EDIT).status_code == 403


def test_non_diffusible_box_masks_the_address(client, manager):
    """Ticking "INSEE not diffusible" hides the address from newcomers, not from members."""
    client.force_login(manager.user)
    client.post(f"/structures/{manager.structure_id}/", {**EDIT, "non_diffusible": "on"})
    manager.structure.refresh_from_db()
    assert manager.structure.non_diffusible
    assert "1 Rue Neuve" in client.get(f"/structures/{manager.structure_id}/").content.decode()
    assert not manager.structure.address_visible_to(None)
    assert manager.structure.address_visible_to(manager.user)
    newcomer = client.__class__()
    newcomer.post("/register/", {"email": "n@example.org", "siret": manager.structure.siret})
    page = newcomer.get("/register/details/").content.decode()
    assert "1 Rue Neuve" not in page and "Hidden (INSEE not diffusible)" in page


def test_transfer_primary_manager_confirmed_by_password(client, manager):
    """The role moves to another active member only with the right password."""
    member = MembershipFactory(structure=manager.structure)
    client.force_login(manager.user)
    url = f"/structures/{manager.structure_id}/"
    bad = client.post(url, {"transfer": "1", "member": member.pk, "password": "wrong"})
    assert "This is not your current password." in bad.content.decode()
    client.post(url, {"transfer": "1", "member": member.pk, "password": PASSWORD})
    member.refresh_from_db()
    manager.refresh_from_db()
    assert member.role == Membership.Role.PRIMARY_MANAGER
    assert manager.role == Membership.Role.MANAGER
    assert AuditEvent.objects.filter(kind="role_transfer").exists()


def test_approve_join_request_sends_the_decision(client, manager):
    """Approve: the requester becomes an active user with the areas asked, and is told."""
    joiner = MembershipFactory(
        structure=manager.structure, requested=True, areas=["work-invoices", "sent-requests"]
    )
    client.force_login(manager.user)
    page = client.get("/structure/requests/").content.decode()
    assert joiner.user.email in page and ">Approve<" in page and ">Refuse<" in page
    client.post(f"/structure/requests/{joiner.pk}/decide/", {"action": "approve"})
    joiner.refresh_from_db()
    assert joiner.status == Membership.Status.ACTIVE and joiner.role == Membership.Role.USER
    assert set(
        AreaAssignment.objects.filter(membership=joiner).values_list("area__code", flat=True)
    ) == {"work-invoices", "sent-requests"}
    mail = OutgoingEmail.objects.get(kind="join_decision")
    assert mail.to == joiner.user.notification_email and "approved" in mail.subject
    assert AuditEvent.objects.filter(kind="join_approved", actor=manager.user).exists()


def test_refuse_join_request_with_reason_and_ask_again(client, manager):
    """Refuse: the requester is told why, and can ask again later."""
    joiner = MembershipFactory(structure=manager.structure, requested=True)
    client.force_login(manager.user)
    client.post(
        f"/structure/requests/{joiner.pk}/decide/",
        {"action": "refuse", "reason": "Unknown to our accounting team"},
    )
    joiner.refresh_from_db()
    assert joiner.status == Membership.Status.REFUSED
    mail = OutgoingEmail.objects.get(kind="join_decision")
    assert "refused" in mail.subject and "Unknown to our accounting team" in mail.body_text
    client.force_login(joiner.user)
    client.post(f"/structure/requests/{joiner.pk}/again/")
    joiner.refresh_from_db()
    assert joiner.status == Membership.Status.REQUESTED
    assert OutgoingEmail.objects.filter(kind="join_request").count() == 1


def test_only_managers_decide(client, manager):
    """A plain member cannot approve a request, even by posting directly."""
    member = MembershipFactory(structure=manager.structure)
    joiner = MembershipFactory(structure=manager.structure, requested=True)
    client.force_login(member.user)
    client.post(f"/structure/requests/{joiner.pk}/decide/", {"action": "approve"})
    joiner.refresh_from_db()
    assert joiner.status == Membership.Status.REQUESTED


def test_a_decided_request_cannot_be_decided_again(client, manager):
    """Approving twice does nothing the second time."""
    joiner = MembershipFactory(structure=manager.structure, requested=True)
    client.force_login(manager.user)
    client.post(f"/structure/requests/{joiner.pk}/decide/", {"action": "approve"})
    page = client.post(
        f"/structure/requests/{joiner.pk}/decide/", {"action": "refuse"}, follow=True
    ).content.decode()
    assert "cannot be decided" in page
    joiner.refresh_from_db()
    assert joiner.status == Membership.Status.ACTIVE
