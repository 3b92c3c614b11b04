"""The manager's console, the structure's side: who may run it, the members' table, detaching,
deactivating, reactivating, resending an activation mail, and the managers' history.

Every function takes the acting person (`by`) and checks that they manage the structure
(`NotAllowed` otherwise); every member is looked up inside that structure only
(`Membership.DoesNotExist` otherwise), so an id of another structure is never reached.
Each action is audited once: repeating it (a double submit) changes nothing and records
nothing.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from accounts.services.links import (
    INVITATION_KIND,
    MAIL_KINDS,
    activation_link_send,
    invitation_mail,
)
from audit import services as audit
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.services import absolute_url, email_queue
from structures.models import Membership, Structure
from structures.services import NotAllowed, is_manager

PAGE_SIZE = 50

# The statuses of the people of a structure (join requests are decided elsewhere).
MEMBER_STATUSES = (
    Membership.Status.AWAITING_ACTIVATION,
    Membership.Status.INVITED,
    Membership.Status.ACTIVE,
    Membership.Status.DEACTIVATED,
)

SORTS = {
    "name": ("user__last_name", "user__first_name", "pk"),
    "-name": ("-user__last_name", "-user__first_name", "-pk"),
    "email": ("user__email",),
    "-email": ("-user__email",),
    "login": ("user__last_login", "pk"),
    "-login": ("-user__last_login", "-pk"),
    "status": ("status", "user__last_name", "pk"),
}

# What the managers' history shows: the actions taken on the structure's people and itself.
HISTORY_KINDS = (
    AuditEvent.Kind.MEMBER_INVITED,
    AuditEvent.Kind.INVITATION_ACCEPTED,
    AuditEvent.Kind.INVITATION_DECLINED,
    AuditEvent.Kind.MEMBER_DETACHED,
    AuditEvent.Kind.MEMBER_DEACTIVATED,
    AuditEvent.Kind.MEMBER_REACTIVATED,
    AuditEvent.Kind.MEMBER_RIGHTS_CHANGE,
    AuditEvent.Kind.MEMBERS_EXPORTED,
    AuditEvent.Kind.JOIN_APPROVED,
    AuditEvent.Kind.JOIN_REFUSED,
    AuditEvent.Kind.ROLE_TRANSFER,
    AuditEvent.Kind.STRUCTURE_CHANGE,
    AuditEvent.Kind.WORK_AREAS_CHANGE,
    AuditEvent.Kind.ACTIVATION_LINK_SENT,
)

# A second "resend" within this delay is the same click sent twice: no second mail.
RESEND_DEBOUNCE = timedelta(minutes=1)
# Activation or invitation mails to one address in 24 hours, resends included.
RESENDS_PER_DAY = 5


def managed_structure(*, by, structure_id: int) -> Structure:
    """The structure `by` manages, or NotAllowed (also for a structure that does not exist:
    the caller answers both the same way)."""
    structure = Structure.objects.filter(pk=structure_id).first()
    if structure is None or not is_manager(by, structure):
        raise NotAllowed
    return structure


def _require_manager(by, structure: Structure) -> None:
    if not is_manager(by, structure):
        raise NotAllowed


def members_of(structure: Structure) -> QuerySet[Membership]:
    """The people of the structure: active, deactivated, and invited but not activated yet
    (someone who registered to join is a join request, not a member, until decided)."""
    return Membership.objects.filter(structure=structure).filter(
        Q(
            status__in=[
                Membership.Status.ACTIVE,
                Membership.Status.DEACTIVATED,
                Membership.Status.INVITED,
            ]
        )
        | Q(status=Membership.Status.AWAITING_ACTIVATION, invited_by__isnull=False)
        | Q(status=Membership.Status.AWAITING_ACTIVATION, role=Membership.Role.PRIMARY_MANAGER)
    )


def members_search(
    *, structure: Structure, by, query: str = "", status: str = "", sort: str = "name"
) -> QuerySet[Membership]:
    """The members' table: searched by name or e-mail, filtered by status, sorted."""
    _require_manager(by, structure)
    members = members_of(structure).select_related("user")
    for word in query.split()[:5]:
        members = members.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
        )
    if status in MEMBER_STATUSES:
        members = members.filter(status=status)
    return members.order_by(*SORTS.get(sort, SORTS["name"]))


def member_get(*, structure: Structure, by, membership_id: int) -> Membership:
    """One member of the structure, or Membership.DoesNotExist (whatever other structure
    the id may belong to)."""
    _require_manager(by, structure)
    return members_of(structure).select_related("user", "structure").get(pk=membership_id)


def _lock_member(structure: Structure, membership_id: int) -> Membership:
    return (
        members_of(structure)
        .select_for_update(of=("self",))
        .select_related("user", "structure")
        .get(pk=membership_id)
    )


def _untouchable(membership: Membership, by) -> bool:
    """The primary manager is detached or deactivated only after handing the role on, and
    nobody detaches or deactivates themselves here."""
    return membership.role == Membership.Role.PRIMARY_MANAGER or membership.user_id == by.pk


@transaction.atomic
def member_detach(*, structure: Structure, by, membership_id: int) -> bool:
    """Remove the person from the structure, with their work areas. False when they had
    already left (a double submit)."""
    _require_manager(by, structure)
    try:
        membership = _lock_member(structure, membership_id)
    except Membership.DoesNotExist:
        if Membership.objects.filter(pk=membership_id).exists():
            raise  # someone of another structure, or a join request: not the console's
        return False
    if _untouchable(membership, by):
        raise NotAllowed
    user = membership.user
    membership.delete()
    audit.record(
        AuditEvent.Kind.MEMBER_DETACHED,
        user=user,
        actor=by,
        **structure.audit_detail,
    )
    return True


def _status_change(*, structure, by, membership_id, before, after, kind) -> bool:
    _require_manager(by, structure)
    membership = _lock_member(structure, membership_id)
    if membership.status == after:
        return False
    if membership.status != before or _untouchable(membership, by):
        raise NotAllowed
    membership.status = after
    membership.save(update_fields=["status"])
    audit.record(kind, user=membership.user, actor=by, **structure.audit_detail)
    return True


@transaction.atomic
def member_deactivate(*, structure: Structure, by, membership_id: int) -> bool:
    """Close the person's access to the structure (areas kept for a reactivation). False when
    it was already closed."""
    return _status_change(
        structure=structure,
        by=by,
        membership_id=membership_id,
        before=Membership.Status.ACTIVE,
        after=Membership.Status.DEACTIVATED,
        kind=AuditEvent.Kind.MEMBER_DEACTIVATED,
    )


@transaction.atomic
def member_reactivate(*, structure: Structure, by, membership_id: int) -> bool:
    """Open the access again, with the areas the person had. False when it was open."""
    return _status_change(
        structure=structure,
        by=by,
        membership_id=membership_id,
        before=Membership.Status.DEACTIVATED,
        after=Membership.Status.ACTIVE,
        kind=AuditEvent.Kind.MEMBER_REACTIVATED,
    )


INVITATION_TO_ACCEPT_KIND = "invitation_to_accept"


def invitation_to_accept_mail(membership: Membership, *, inviter) -> None:
    """Tell a person who already has an account that a manager invites them: they log in
    (both steps) and accept on their dashboard."""
    user = membership.user
    email_queue(
        kind=INVITATION_TO_ACCEPT_KIND,
        to=user.email,
        template="structures/email/invitation_to_accept",
        context={
            "user": user,
            "inviter": inviter.get_full_name(),
            "structure_name": membership.structure.name,
            "url": absolute_url("/dashboard/"),
        },
        language=user.preferred_language,
        user=user,
    )


@transaction.atomic
def member_activation_resend(*, structure: Structure, by, membership_id: int) -> bool:
    """A new activation link for a member who has not activated their account, or the
    invitation again to someone invited with their existing account. False when one was
    queued a moment ago (a double submit). NotAllowed for anyone else."""
    _require_manager(by, structure)
    membership = _lock_member(structure, membership_id)
    user = membership.user
    invited_with_account = membership.status == Membership.Status.INVITED
    if (user.is_active or user.activated_at) and not invited_with_account:
        raise NotAllowed
    kinds = [MAIL_KINDS["activation"][0], INVITATION_KIND, INVITATION_TO_ACCEPT_KIND]
    sent = OutgoingEmail.objects.filter(user=user, kind__in=kinds)
    now = timezone.now()
    if sent.filter(created_at__gt=now - RESEND_DEBOUNCE).exists():
        return False
    if sent.filter(created_at__gt=now - timedelta(days=1)).count() >= RESENDS_PER_DAY:
        return False  # an address is not mailed again and again, whoever asks

    if invited_with_account:
        invitation_to_accept_mail(membership, inviter=by)
        audit.record(
            AuditEvent.Kind.MEMBER_INVITED,
            user=user,
            actor=by,
            **structure.audit_detail,
            again=True,
        )
    elif membership.invited_by_id:
        invitation_mail(user=user, inviter=by, structure_name=structure.name)
        audit.record(
            AuditEvent.Kind.ACTIVATION_LINK_SENT,
            user=user,
            actor=by,
            **structure.audit_detail,
        )
    else:
        activation_link_send(user=user, actor=by, **structure.audit_detail)
    return True


@transaction.atomic
def invitation_answer(*, user, membership_id: int, accept: bool) -> Membership | None:
    """The invited person (who already had an account) accepts, and is an active user of the
    structure, or declines, and the invitation is gone. Only their own invitation; answering
    twice changes nothing (None when there is no invitation left to answer)."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("structure")
        .filter(pk=membership_id, user=user, status=Membership.Status.INVITED)
        .first()
    )
    if membership is None:
        return None
    structure = membership.structure
    if accept:
        membership.status = Membership.Status.ACTIVE
        membership.decided_at = timezone.now()
        membership.save(update_fields=["status", "decided_at"])
    else:
        membership.delete()
    audit.record(
        AuditEvent.Kind.INVITATION_ACCEPTED if accept else AuditEvent.Kind.INVITATION_DECLINED,
        user=user,
        actor=user,
        **structure.audit_detail,
    )
    return membership


def history(*, structure: Structure, by) -> QuerySet[AuditEvent]:
    """What the managers (and the admins) did to this structure and its people, newest first."""
    _require_manager(by, structure)
    events = AuditEvent.objects.filter(kind__in=HISTORY_KINDS, actor__isnull=False)
    if structure.siret:
        events = events.alias(siret=KT("detail__siret")).filter(siret=structure.siret)  # indexed
    else:
        # No SIRET (the other identifier types): the events carry the structure's id.
        events = events.filter(detail__structure=structure.pk)
    return events.select_related("actor").order_by("-created_at", "-pk")


def members_export_recorded(*, structure: Structure, by, count: int) -> None:
    """The export of the members' list is an action of the history too."""
    _require_manager(by, structure)
    audit.record(
        AuditEvent.Kind.MEMBERS_EXPORTED,
        user=by,
        actor=by,
        **structure.audit_detail,
        count=count,
    )
