"""The manager's console, structure side: who may act, detach, deactivate, reactivate,
resend, history; each refusal and each double submit."""

import pytest

from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures import members
from structures.models import Membership
from structures.services import NotAllowed
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(manager):
    return MembershipFactory(structure=manager.structure)


def test_only_a_manager_of_the_structure_runs_the_console(manager, colleague):
    """A plain member, and a manager of another structure, are refused by the service."""
    other = MembershipFactory(primary_manager=True)
    for person in (colleague.user, other.user):
        with pytest.raises(NotAllowed):
            members.managed_structure(by=person, structure_id=manager.structure_id)
        with pytest.raises(NotAllowed):
            members.member_deactivate(
                structure=manager.structure, by=person, membership_id=colleague.pk
            )
    assert members.managed_structure(by=manager.user, structure_id=manager.structure_id)


def test_a_member_of_another_structure_is_not_found(manager):
    """An id from another structure is looked up in the manager's own: not found."""
    stranger = MembershipFactory()
    with pytest.raises(Membership.DoesNotExist):
        members.member_detach(
            structure=manager.structure, by=manager.user, membership_id=stranger.pk
        )
    with pytest.raises(Membership.DoesNotExist):
        members.member_deactivate(
            structure=manager.structure, by=manager.user, membership_id=stranger.pk
        )
    assert Membership.objects.filter(pk=stranger.pk).exists()


def test_deactivate_then_reactivate_audited_once_each(manager, colleague):
    """Deactivation closes the access; a second click changes and records nothing."""
    args = {"structure": manager.structure, "by": manager.user, "membership_id": colleague.pk}
    assert members.member_deactivate(**args) is True
    assert members.member_deactivate(**args) is False
    colleague.refresh_from_db()
    assert colleague.status == Membership.Status.DEACTIVATED
    assert not Membership.objects.active().filter(pk=colleague.pk).exists()
    assert members.member_reactivate(**args) is True
    assert members.member_reactivate(**args) is False
    colleague.refresh_from_db()
    assert colleague.status == Membership.Status.ACTIVE
    assert AuditEvent.objects.filter(kind="member_deactivated", actor=manager.user).count() == 1
    assert AuditEvent.objects.filter(kind="member_reactivated", actor=manager.user).count() == 1


def test_detach_removes_the_member_and_a_double_submit_is_harmless(manager, colleague):
    """The membership goes; the second post of the same form finds nothing to do."""
    args = {"structure": manager.structure, "by": manager.user, "membership_id": colleague.pk}
    assert members.member_detach(**args) is True
    assert members.member_detach(**args) is False
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert AuditEvent.objects.filter(kind="member_detached").count() == 1


def test_primary_manager_and_oneself_are_untouchable(manager):
    """The primary manager is not detached (the role is transferred first), nor oneself."""
    second = MembershipFactory(structure=manager.structure, role=Membership.Role.MANAGER)
    with pytest.raises(NotAllowed):
        members.member_detach(structure=manager.structure, by=second.user, membership_id=manager.pk)
    with pytest.raises(NotAllowed):
        members.member_deactivate(
            structure=manager.structure, by=second.user, membership_id=second.pk
        )
    assert Membership.objects.filter(pk=manager.pk, status="active").exists()


def test_resend_activation_only_to_who_has_not_activated(manager, colleague):
    """An invited person gets a new link once per click; an active account gets none."""
    invited = MembershipFactory(
        structure=manager.structure,
        user=UserFactory(),
        status=Membership.Status.AWAITING_ACTIVATION,
        invited_by=manager.user,
    )
    args = {"structure": manager.structure, "by": manager.user}
    assert members.member_activation_resend(**args, membership_id=invited.pk) is True
    assert members.member_activation_resend(**args, membership_id=invited.pk) is False
    assert OutgoingEmail.objects.filter(user=invited.user, kind="invitation").count() == 1
    with pytest.raises(NotAllowed):
        members.member_activation_resend(**args, membership_id=colleague.pk)
    assert AuditEvent.objects.filter(
        kind="activation_link_sent", actor=manager.user, detail__siret=manager.structure.siret
    ).exists()


def test_search_filter_and_sort(manager):
    """Search by name or e-mail, filter by status; join requests are not members."""
    MembershipFactory(structure=manager.structure, user__last_name="Zola", user__email="z@a.fr")
    MembershipFactory(
        structure=manager.structure, user__last_name="Abel", status=Membership.Status.DEACTIVATED
    )
    MembershipFactory(structure=manager.structure, requested=True)
    found = members.members_search(structure=manager.structure, by=manager.user, sort="-name")
    assert [m.user.last_name for m in found][0] == "Zola"
    assert found.count() == 3
    assert [
        m.user.last_name
        for m in members.members_search(structure=manager.structure, by=manager.user, query="z@a")
    ] == ["Zola"]
    deactivated = members.members_search(
        structure=manager.structure, by=manager.user, status="deactivated"
    )
    assert [m.user.last_name for m in deactivated] == ["Abel"]


def test_history_shows_this_structures_manager_actions_newest_first(manager, colleague):
    """The history lists the managers' actions here, not those of other structures."""
    other = MembershipFactory(primary_manager=True)
    other_member = MembershipFactory(structure=other.structure)
    members.member_deactivate(
        structure=other.structure, by=other.user, membership_id=other_member.pk
    )
    args = {"structure": manager.structure, "by": manager.user, "membership_id": colleague.pk}
    members.member_deactivate(**args)
    members.member_reactivate(**args)
    kinds = [e.kind for e in members.history(structure=manager.structure, by=manager.user)]
    assert kinds == ["member_reactivated", "member_deactivated"]
    with pytest.raises(NotAllowed):
        members.history(structure=manager.structure, by=colleague.user)
