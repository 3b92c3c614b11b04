"""Operations on structures and their members: join requests, edits, the primary manager role."""

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import AuditEvent
from outbox.services import absolute_url, email_queue
from structures import sirene
from structures.domains import domain_join, joins_by_domain
from structures.identifiers import WITHOUT_NUMBER, IdentifierType
from structures.managers import is_primary_manager, managers_mail
from structures.models import Membership, Structure
from structures.official import official_from_establishment


class NotAllowed(Exception):
    """The person may not do this to this structure."""


def _mail_managers_of_request(membership: Membership) -> None:
    managers_mail(
        structure=membership.structure,
        kind="join_request",
        template="structures/email/join_request",
        context={
            "requester": membership.user,
            "structure": membership.structure,
            "url": absolute_url("/structure/requests/"),
        },
    )


@transaction.atomic
def join_request_submit(*, membership: Membership) -> Membership:
    """The requester's membership waits for a manager; the managers are told by mail."""
    membership.status = Membership.Status.REQUESTED
    membership.role = Membership.Role.USER
    membership.requested_at = timezone.now()
    membership.decided_at = None
    membership.decided_by = None
    membership.decision_reason = ""
    membership.save()
    audit.record(
        AuditEvent.Kind.JOIN_REQUEST,
        user=membership.user,
        **membership.structure.audit_detail,
    )
    _mail_managers_of_request(membership)
    return membership


def is_manager(user, structure: Structure) -> bool:
    return Membership.objects.managers().filter(user=user, structure=structure).exists()


def _decide(*, membership_id: int, decided_by, approve: bool, reason: str = "", admin=False):
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "structure")
        .get(pk=membership_id)
    )
    if not admin and not is_manager(decided_by, membership.structure):
        raise NotAllowed
    if membership.status != Membership.Status.REQUESTED:
        raise NotAllowed
    membership.status = Membership.Status.ACTIVE if approve else Membership.Status.REFUSED
    membership.decided_at = timezone.now()
    membership.decided_by = decided_by
    membership.decision_reason = "" if approve else reason.strip()[:500]
    membership.save()
    audit.record(
        AuditEvent.Kind.JOIN_APPROVED if approve else AuditEvent.Kind.JOIN_REFUSED,
        user=membership.user,
        actor=decided_by,
        **membership.structure.audit_detail,
        reason=membership.decision_reason,
        by_admin=admin,
    )
    with translation.override(membership.user.preferred_language):
        # A refused requester is no member: a non-diffusible structure stays unnamed.
        structure_name = membership.structure_label
    email_queue(
        kind="join_decision",
        to=membership.user.notification_email,
        template="structures/email/join_decision",
        context={
            "user": membership.user,
            "structure": membership.structure,
            "structure_name": structure_name,
            "approved": approve,
            "reason": membership.decision_reason,
            "url": absolute_url("/dashboard/"),
        },
        language=membership.user.preferred_language,
        user=membership.user,
    )
    return membership


@transaction.atomic
def join_request_approve(*, membership_id: int, decided_by, admin: bool = False) -> Membership:
    """The requester becomes an active user of the structure, with the areas they asked for."""
    return _decide(membership_id=membership_id, decided_by=decided_by, approve=True, admin=admin)


@transaction.atomic
def join_request_refuse(
    *, membership_id: int, decided_by, reason: str = "", admin: bool = False
) -> Membership:
    """The request is refused; the requester may ask again later."""
    return _decide(
        membership_id=membership_id,
        decided_by=decided_by,
        approve=False,
        reason=reason,
        admin=admin,
    )


@transaction.atomic
def join_request_renew(*, membership: Membership) -> Membership:
    """A refused requester asks again."""
    if membership.status != Membership.Status.REFUSED:
        raise NotAllowed
    return join_request_submit(membership=membership)


@transaction.atomic
def structure_update(*, structure: Structure, by, **fields) -> Structure:
    """The primary manager edits everything but the identifier."""
    if (
        not Membership.objects.active()
        .filter(user=by, structure=structure, role=Membership.Role.PRIMARY_MANAGER)
        .exists()
    ):
        raise NotAllowed
    changed = {}
    for name in Structure.EDITABLE_FIELDS:
        if name in fields and getattr(structure, name) != fields[name]:
            changed[name] = str(fields[name])
            setattr(structure, name, fields[name])
    if changed:
        structure.save()
        audit.record(
            AuditEvent.Kind.STRUCTURE_CHANGE,
            user=by,
            actor=by,
            **structure.audit_detail,
            fields=sorted(changed),
        )
    return structure


@transaction.atomic
def primary_manager_transfer(*, structure: Structure, by, to_membership_id: int) -> Membership:
    """Hand the primary manager role to another active member; the former one stays a manager."""
    current = (
        Membership.objects.select_for_update()
        .filter(structure=structure, user=by, role=Membership.Role.PRIMARY_MANAGER)
        .active()
        .first()
    )
    if current is None:
        raise NotAllowed
    target = (
        Membership.objects.select_for_update()
        .filter(pk=to_membership_id, structure=structure)
        .active()
        .exclude(pk=current.pk)
        .select_related("user")
        .first()
    )
    if target is None or not target.user.is_active:
        raise NotAllowed
    current.role = Membership.Role.MANAGER
    current.save(update_fields=["role"])
    target.role = Membership.Role.PRIMARY_MANAGER
    target.save(update_fields=["role"])
    audit.record(
        AuditEvent.Kind.ROLE_TRANSFER,
        user=target.user,
        actor=by,
        **structure.audit_detail,
        previous=by.email,
    )
    return target


def structure_register(
    *,
    values: dict,
    verification: str,
    insee_snapshot: dict | None,
    insee_checked: bool,
    insee_source: str = "",
    identifier_type: str = IdentifierType.SIRET,
    identifier: str = "",
    siret: str = "",
    official_values: dict | None = None,
) -> tuple[Structure, bool]:
    """The structure of this identifier, locked until the transaction ends; created from
    `values` (Structure.EDITABLE_FIELDS) when the portal does not know it yet. Returns it and
    whether it was created. A structure registered by someone else meanwhile is returned, not
    duplicated; a type without a number always creates its own structure."""
    kind = IdentifierType(identifier_type)
    identifier = identifier or siret
    if kind not in WITHOUT_NUMBER:
        structure = (
            Structure.objects.select_for_update()
            .filter(identifier_type=kind, identifier=identifier)
            .first()
        )
        if structure is not None:
            return structure, False
    fields = {name: values.get(name, "") for name in Structure.EDITABLE_FIELDS}
    fields["non_diffusible"] = bool(fields["non_diffusible"])
    is_siret = kind == IdentifierType.SIRET
    structure = Structure.objects.create(
        identifier_type=kind,
        identifier=identifier or None,
        siret=identifier if is_siret else None,
        siren=identifier[:9] if is_siret else None,
        verification=verification,
        insee_snapshot=insee_snapshot or None,
        insee_checked_at=timezone.now() if insee_checked else None,
        insee_source=insee_source,
        official_values=official_values or {},
        **fields,
    )
    return structure, True


def memberships_activate(*, user, now=None) -> None:
    """The person's account is now active: the membership of the structure they created (or
    claimed) starts, and their requests to join existing structures go to the managers.

    Nobody can squat a structure: until someone activates an account in it, every person
    who registered it is a claimant, and the first to activate becomes its primary manager
    (a registrant who had the role and never activated loses it); the others, when they
    activate, become join requesters of that manager."""
    now = now or timezone.now()
    for membership in Membership.objects.select_related("structure").filter(
        user=user, status=Membership.Status.AWAITING_ACTIVATION
    ):
        if membership.invited_by_id:
            # A person a manager invited: no request to decide.
            membership.status = Membership.Status.ACTIVE
            membership.decided_at = now
            membership.save(update_fields=["status", "decided_at"])
            continue
        if membership.role == Membership.Role.PRIMARY_MANAGER:
            # The registrant who created the structure: the role is theirs unless a claimant
            # took it meanwhile (then this conditional update finds the role gone).
            if (
                Membership.objects.filter(
                    pk=membership.pk,
                    role=Membership.Role.PRIMARY_MANAGER,
                    status=Membership.Status.AWAITING_ACTIVATION,
                ).update(status=Membership.Status.ACTIVE, decided_at=now)
                == 1
            ):
                continue
            membership.refresh_from_db()
        elif membership.claimant and _structure_claim(membership):
            membership.status = Membership.Status.ACTIVE
            membership.role = Membership.Role.PRIMARY_MANAGER
            membership.claimant = False
            membership.decided_at = now
            membership.save(
                update_fields=["status", "role", "claimant", "claimed_values", "decided_at"]
            )
            continue
        membership.claimant = False
        if joins_by_domain(membership):
            domain_join(membership=membership, now=now)
        else:
            join_request_submit(membership=membership)


def _structure_claim(membership: Membership) -> bool:
    """Whether this claimant wins the structure: nobody active in it yet. The structure's row
    is locked so two claimants cannot both win; the registrant who holds the role and never
    activated becomes a claimant like the others (a registrant activating at this very moment
    keeps it: the demotion skips an active row, and this claimant then loses)."""
    Structure.objects.select_for_update().filter(pk=membership.structure_id).first()
    others = Membership.objects.filter(structure_id=membership.structure_id).exclude(
        pk=membership.pk
    )
    if others.filter(status=Membership.Status.ACTIVE).exists():
        return False
    demoted = (
        others.filter(role=Membership.Role.PRIMARY_MANAGER)
        .exclude(status=Membership.Status.ACTIVE)
        .update(role=Membership.Role.USER, claimant=True)
    )
    if others.filter(role=Membership.Role.PRIMARY_MANAGER).exists():
        return False
    if membership.claimed_values:
        # The winner's own values replace those of the registrant who never activated.
        structure = Structure.objects.get(pk=membership.structure_id)
        for name in Structure.EDITABLE_FIELDS:
            if name in membership.claimed_values:
                setattr(structure, name, membership.claimed_values[name])
        structure.non_diffusible = bool(structure.non_diffusible)
        structure.save()
        membership.structure = structure
        membership.claimed_values = {}
    audit.record(
        AuditEvent.Kind.STRUCTURE_CLAIMED,
        user=membership.user,
        **membership.structure.audit_detail,
        identifier=membership.structure.identifier,
        previous_registrants=demoted,
    )
    return True


class SiretRefused(Exception):
    """The SIRET cannot be given to this structure: the message says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def structure_siret_set(*, structure: Structure, by, siret: str) -> Structure:
    """The primary manager of a structure being registered enters the SIRET INSEE gave it.

    The SIRET goes through INSEE as at step 1: unknown or closed is refused; not public is
    kept "not public"; INSEE unreachable leaves it "not verified" for the periodic check.
    Raises NotAllowed (not the primary manager, or the structure has an identifier already)
    or SiretRefused.
    """
    if not is_primary_manager(by, structure):
        raise NotAllowed
    if structure.identifier_type != IdentifierType.BEING_REGISTERED:
        raise NotAllowed
    if Structure.objects.filter(siret=siret).exists():
        raise SiretRefused(
            _(
                "This SIRET is already registered on Chorus Pro. Ask the help desk to merge "
                "the two structures."
            )
        )
    snapshot, official = None, {}
    try:
        establishment = sirene.lookup_establishment(siret)
    except sirene.EstablishmentNotFound:
        raise SiretRefused(
            _("This SIRET is not in the INSEE register. Check the 14 digits on your Kbis extract.")
        ) from None
    except sirene.EstablishmentNotPublic:
        verification = Structure.Verification.NOT_PUBLIC
    except sirene.SireneUnavailable:
        verification = Structure.Verification.PENDING
    else:
        if not establishment.is_active:
            raise SiretRefused(_("This establishment is closed in the INSEE register."))
        verification = Structure.Verification.VERIFIED
        snapshot, official = establishment.raw or None, official_from_establishment(establishment)
    with transaction.atomic():
        locked = Structure.objects.select_for_update().get(pk=structure.pk)
        if locked.identifier_type != IdentifierType.BEING_REGISTERED:
            raise NotAllowed
        locked.identifier_type, locked.identifier = IdentifierType.SIRET, siret
        locked.verification = verification
        locked.insee_snapshot = snapshot
        locked.official_values = official
        locked.insee_checked_at = (
            None if verification == Structure.Verification.PENDING else timezone.now()
        )
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:  # registered by someone else meanwhile
            raise SiretRefused(_("This SIRET is already registered on Chorus Pro.")) from None
        audit.record(
            AuditEvent.Kind.STRUCTURE_CHANGE, user=by, actor=by, siret=siret, fields=["siret"]
        )
    return locked
