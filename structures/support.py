"""Orphan structures (no active manager) and the support's queue of their join requests.

A structure whose manager left, was deactivated or never activated has nobody to approve a
newcomer. Its join requests still unanswered after JOIN_REQUEST_SUPPORT_AFTER go to the
support (the admins), who may appoint one of the requesters primary manager.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from outbox.services import absolute_url, email_queue
from structures.models import Membership, Structure
from structures.services import NotAllowed


def _with_active_manager() -> QuerySet:
    return Membership.objects.managers().filter(user__is_active=True).values("structure_id")


def orphan_structures() -> QuerySet:
    """The structures with no active manager whose account is active."""
    return Structure.objects.exclude(pk__in=_with_active_manager())


def support_queue(*, now=None) -> QuerySet:
    """The join requests of orphan structures unanswered for JOIN_REQUEST_SUPPORT_AFTER."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.JOIN_REQUEST_SUPPORT_AFTER)
    return Membership.objects.filter(
        status=Membership.Status.REQUESTED, requested_at__lte=limit
    ).exclude(structure_id__in=_with_active_manager())


@transaction.atomic
def primary_manager_appoint(*, membership_id: int, by) -> Membership:
    """An admin makes a requester (or member) of an orphan structure its primary manager.

    Refused (NotAllowed) when the structure has an active manager again, or the person's
    account is not active. The previous holder of the role, if any, stays a manager (a member
    when they never activated). Audited; the new and the previous primary manager are mailed.
    """
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "structure")
        .get(pk=membership_id)
    )
    structure = Structure.objects.select_for_update().get(pk=membership.structure_id)
    if membership.status not in (Membership.Status.REQUESTED, Membership.Status.ACTIVE):
        raise NotAllowed
    if not membership.user.is_active:
        raise NotAllowed
    if _with_active_manager().filter(structure_id=structure.pk).exists():
        raise NotAllowed
    now = timezone.now()
    previous = (
        Membership.objects.select_for_update()
        .filter(structure=structure, role=Membership.Role.PRIMARY_MANAGER)
        .exclude(pk=membership.pk)
        .select_related("user")
        .first()
    )
    if previous is not None:
        previous.role = (
            Membership.Role.MANAGER
            if previous.status == Membership.Status.ACTIVE
            else Membership.Role.USER
        )
        previous.claimant = False
        previous.save(update_fields=["role", "claimant"])
    membership.role = Membership.Role.PRIMARY_MANAGER
    membership.status = Membership.Status.ACTIVE
    membership.claimant = False
    membership.decided_at, membership.decided_by = now, by
    membership.save()
    audit.record(
        AuditEvent.Kind.PRIMARY_MANAGER_APPOINTED,
        user=membership.user,
        actor=by,
        siret=structure.siret,
        identifier=structure.identifier,
        previous=previous.user.email if previous else "",
    )
    url = absolute_url(f"/structures/{structure.pk}/")
    email_queue(
        kind="primary_manager_appointed",
        to=membership.user.notification_email,
        template="structures/email/primary_manager_appointed",
        context={"user": membership.user, "structure": structure, "url": url},
        language=membership.user.preferred_language,
        user=membership.user,
    )
    if previous is not None and previous.user.activated_at:
        email_queue(
            kind="primary_manager_replaced",
            to=previous.user.notification_email,
            template="structures/email/primary_manager_replaced",
            context={
                "user": previous.user,
                "structure": structure,
                "successor": membership.user,
                "url": absolute_url("/help/"),
            },
            language=previous.user.preferred_language,
            user=previous.user,
        )
    return membership
