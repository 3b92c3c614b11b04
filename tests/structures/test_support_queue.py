"""Orphan structures: their join requests reach the support's queue after 7 days, and an
admin appoints a primary manager (audited, both mailed)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures.models import Membership
from structures.services import NotAllowed
from structures.support import primary_manager_appoint, support_queue
from tests.admin_support import listed, messages_of, run_action
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:structures_supportrequest_changelist")
OLD = timezone.now() - timedelta(days=8)


def old_request(structure, **kwargs):
    return MembershipFactory(structure=structure, requested=True, requested_at=OLD, **kwargs)


def test_queue_holds_old_requests_of_structures_without_an_active_manager():
    """Manager deactivated or never activated: its 8-day-old requests are queued; a fresh one,
    or one of a structure with an active manager, is not."""
    gone = MembershipFactory(primary_manager=True, user__is_active=False)
    queued = old_request(gone.structure)
    fresh = MembershipFactory(structure=gone.structure, requested=True)
    never = MembershipFactory(primary_manager=True, status=Membership.Status.AWAITING_ACTIVATION)
    queued_too = old_request(never.structure)
    managed = MembershipFactory(primary_manager=True)
    answered_elsewhere = old_request(managed.structure)
    ids = set(support_queue().values_list("pk", flat=True))
    assert ids == {queued.pk, queued_too.pk}
    assert fresh.pk not in ids and answered_elsewhere.pk not in ids


def test_admin_sees_the_queue_and_appoints_a_primary_manager(admin_client, admin_user):
    """The queue lists the request; "Appoint as primary manager" makes the requester primary
    manager, the former one a manager; audited; the new and the former one are mailed."""
    former = MembershipFactory(primary_manager=True, user__is_active=False)
    former.user.activated_at = OLD
    former.user.save()
    request = old_request(former.structure)
    assert listed(admin_client.get(QUEUE)) == {request.pk}
    response = run_action(admin_client, QUEUE, "appoint", [request])
    assert "is now primary manager" in messages_of(response)[0]
    request.refresh_from_db()
    former.refresh_from_db()
    assert (request.role, request.status) == (
        Membership.Role.PRIMARY_MANAGER,
        Membership.Status.ACTIVE,
    )
    assert former.role == Membership.Role.MANAGER
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PRIMARY_MANAGER_APPOINTED)
    assert (event.user, event.actor) == (request.user, admin_user)
    mails = {mail.kind: mail.to for mail in OutgoingEmail.objects.all()}
    assert mails["primary_manager_appointed"] == request.user.notification_email
    assert mails["primary_manager_replaced"] == former.user.notification_email
    assert listed(admin_client.get(QUEUE)) == set()


def test_appointing_is_refused_once_the_structure_has_an_active_manager(admin_user):
    """A structure whose manager came back is no orphan: nobody is appointed over them."""
    manager = MembershipFactory(primary_manager=True)
    request = old_request(manager.structure)
    with pytest.raises(NotAllowed):
        primary_manager_appoint(membership_id=request.pk, by=admin_user)
    request.refresh_from_db()
    assert request.status == Membership.Status.REQUESTED


def test_appoint_needs_exactly_one_request(admin_client):
    """Two requests selected: nothing is done, the admin is told to choose one."""
    former = MembershipFactory(primary_manager=True, user__is_active=False)
    first, second = old_request(former.structure), old_request(former.structure)
    response = run_action(admin_client, QUEUE, "appoint", [first, second])
    assert messages_of(response) == ["Choose exactly one request to appoint its author."]
    assert not Membership.objects.filter(pk__in=[first.pk, second.pk], role="primary_manager")
