"""Registration, steps 1 to 3: step 1 starts the draft, step 3 creates everything at once."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OneTimeToken, User
from accounts.services.links import activation_link_send
from audit import services as audit
from audit.models import AuditEvent
from common.text import normalize_email
from onboarding.draft import Lookup, RegistrationDraft
from outbox.models import OutgoingEmail
from outbox.services import absolute_url, email_queue
from structures import sirene, vies
from structures.identifiers import FIXED_COUNTRY, WITHOUT_NUMBER, IdentifierType, vat_country
from structures.models import Membership, Structure
from structures.official import official_from_establishment, official_from_vat_record
from structures.services import structure_register
from workareas.services import member_areas_grant

logger = logging.getLogger(__name__)


class StartRefused(Exception):
    """Step 1 cannot go on: the message says why, next to the SIRET."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def registration_start(
    *,
    email: str,
    siret: str = "",
    identifier_type: str = IdentifierType.SIRET,
    identifier: str = "",
    country: str = "",
    company_name: str = "",
) -> RegistrationDraft:
    """Step 1: find the structure in the portal or in its register and return the new draft.

    `identifier` is the number as stored for its type (the SIRET for a SIRET; built from
    `country` and `company_name` outside the EU; empty without a number). Raises StartRefused
    when the register does not know the number or the establishment is closed.
    """
    kind = IdentifierType(identifier_type)
    identifier = identifier or siret
    draft = RegistrationDraft(
        email=normalize_email(email),
        siret=identifier if kind == IdentifierType.SIRET else "",
        lookup=Lookup.FOUND,
        identifier_type=kind,
        identifier=identifier,
    )
    if kind in WITHOUT_NUMBER:
        draft.lookup = Lookup.NO_REGISTER
        return draft
    # A structure nobody has activated an account in yet is not joined: this person may
    # claim it too, and the first to activate becomes its primary manager.
    existing = (
        Structure.objects.established().filter(identifier_type=kind, identifier=identifier).first()
    )
    if existing is not None:
        draft.lookup, draft.structure_id = Lookup.EXISTING, existing.pk
        return draft
    if kind == IdentifierType.EU_VAT:
        return _start_vat(draft)
    if kind == IdentifierType.OUTSIDE_EU:
        draft.lookup = Lookup.NO_REGISTER
        draft.fixed = {"country": country, "name": company_name}
        return draft
    if kind in FIXED_COUNTRY:
        draft.lookup = Lookup.NO_REGISTER
        draft.fixed = {"country": FIXED_COUNTRY[kind]}
        return draft
    return _start_siret(draft)


def _start_vat(draft: RegistrationDraft) -> RegistrationDraft:
    draft.fixed = {"country": vat_country(draft.identifier)}
    try:
        draft.vat_record = vies.check_vat(draft.identifier)
    except vies.VatNumberInvalid:
        raise StartRefused(
            _(
                "VIES, the EU's register, says this VAT number is not valid. Check it on your "
                "invoices or with your tax office."
            )
        ) from None
    except vies.ViesUnavailable as exc:
        logger.warning("registration: VIES unavailable for a check (%s)", exc)
        draft.lookup = Lookup.UNAVAILABLE
    return draft


def _start_siret(draft: RegistrationDraft) -> RegistrationDraft:
    siret = draft.siret
    try:
        establishment = sirene.lookup_establishment(siret)
    except sirene.EstablishmentNotFound:
        raise StartRefused(
            _("This SIRET is not in the INSEE register. Check the 14 digits on your Kbis extract.")
        ) from None
    except sirene.EstablishmentNotPublic:
        draft.lookup = Lookup.NOT_PUBLIC
        return draft
    except sirene.SireneUnavailable as exc:
        logger.warning("registration: INSEE unavailable for a lookup (%s)", exc)
        draft.lookup = Lookup.UNAVAILABLE
        return draft
    if not establishment.is_active:
        raise StartRefused(
            _(
                "This establishment is closed in the INSEE register. Enter the SIRET of one of "
                "your company's active establishments."
            )
        )
    draft.establishment = establishment
    return draft


def registration_structure(draft: RegistrationDraft) -> Structure | None:
    """The portal's structure the draft will join, when step 1 found one."""
    if draft.lookup != Lookup.EXISTING:
        return None
    return Structure.objects.filter(pk=draft.structure_id).first()


@dataclass
class RegistrationResult:
    email: str
    created: bool
    join_request: bool = False


_VERIFICATION = {
    Lookup.FOUND: Structure.Verification.VERIFIED,
    Lookup.NOT_PUBLIC: Structure.Verification.NOT_PUBLIC,
    Lookup.UNAVAILABLE: Structure.Verification.PENDING,
    Lookup.NO_REGISTER: Structure.Verification.NO_REGISTER,
}


def _official_values(draft: RegistrationDraft) -> dict:
    if draft.establishment is not None:
        return official_from_establishment(draft.establishment)
    if draft.vat_record is not None:
        return official_from_vat_record(draft.vat_record)
    return {}


def _snapshot(draft: RegistrationDraft) -> dict | None:
    if draft.establishment is not None:
        return draft.establishment.raw
    if draft.vat_record is not None:
        return draft.vat_record.raw
    return None


def _account_exists_mail(user: User, language: str) -> None:
    email_queue(
        kind="account_exists",
        to=user.email,
        template="onboarding/email/account_exists",
        context={
            "user": user,
            "login_url": absolute_url("/login/"),
            "reset_url": absolute_url("/password/forgot/"),
        },
        language=language,
        user=user,
    )


def registration_complete(*, draft: RegistrationDraft, language: str) -> RegistrationResult:
    """Step 3 validated: create structure, user, membership, areas, link and mail at once.

    An address that already has an active account gets a mail saying so, and the journey ends
    on the same page as a new registration: nobody can learn from the portal whether an
    address is registered. An account never activated is replaced by this registration: the
    newest details win (nobody can pre-register someone else's address with their own contact
    e-mail), and only the newest activation link works.
    """
    for _attempt in range(2):
        try:
            return _registration_create(draft=draft, language=language)
        except IntegrityError:
            # The address already has an account (the unique constraint says so, race-free).
            existing = User.objects.filter(email=draft.email).first()
            if existing is None:
                raise
            if existing.is_active or existing.activated_at:
                with transaction.atomic():
                    _account_exists_mail(existing, existing.preferred_language or language)
                return RegistrationResult(email=existing.email, created=False)
            _registration_forget(existing, reason="registered again")
    raise IntegrityError("the address was registered again meanwhile")


def _registration_create(*, draft: RegistrationDraft, language: str) -> RegistrationResult:
    email, details = draft.email, draft.details
    with transaction.atomic():
        structure, created = structure_register(
            identifier_type=draft.identifier_type,
            identifier=draft.identifier,
            values={**details.structure_values(), **draft.fixed},
            verification=_VERIFICATION.get(draft.lookup, Structure.Verification.PENDING),
            insee_snapshot=_snapshot(draft),
            insee_checked=draft.lookup in (Lookup.FOUND, Lookup.NOT_PUBLIC),
            insee_source=draft.establishment.source if draft.establishment else "",
            official_values=_official_values(draft),
        )
        user = User.objects.create_user(
            email=email,
            first_name=details.first_name,
            last_name=details.last_name,
            contact_email=details.contact_email or email,
            phone=details.phone,
            preferred_language=language if language in ("en", "fr") else "en",
        )
        claimant = not created and not structure.is_established
        membership = Membership.objects.create(
            user=user,
            structure=structure,
            role=Membership.Role.PRIMARY_MANAGER if created else Membership.Role.USER,
            status=Membership.Status.AWAITING_ACTIVATION,
            claimant=claimant,
            claimed_values={**details.structure_values(), **draft.fixed} if claimant else {},
        )
        member_areas_grant(membership=membership, codes=draft.areas or [])
        activation_link_send(user=user, new_user=True)
        audit.record(
            AuditEvent.Kind.REGISTRATION,
            user=user,
            siret=structure.siret,
            identifier_type=structure.identifier_type,
            identifier=structure.identifier,
            structure_created=created,
            claimant=claimant,
            insee=str(draft.lookup),
        )
    return RegistrationResult(email=email, created=True, join_request=not created and not claimant)


def _registration_forget(user: User, *, reason: str) -> bool:
    """Delete an account never activated, with its mails and the structure it alone belonged
    to; its audit events keep a pseudonym instead of the address. False when the account was
    activated meanwhile (it is kept)."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user.pk).first()
        if user is None or user.is_active or user.activated_at:
            return False
        email = user.email
        pseudonym = audit.pseudonym(email)
        structure_ids = list(user.memberships.values_list("structure_id", flat=True))
        OutgoingEmail.objects.filter(user=user).delete()
        AuditEvent.objects.filter(user=user).update(email=pseudonym)
        AuditEvent.objects.filter(user=None, email=email).update(email=pseudonym)
        user.delete()
        Structure.objects.filter(pk__in=structure_ids, memberships__isnull=True).delete()
        audit.record(AuditEvent.Kind.PURGE, email=pseudonym, reason=reason)
    return True


def registration_purge_abandoned(*, now=None) -> int:
    """Forget the accounts never activated whose last link expired more than 7 days ago (or
    whose mail never left), with their mails and the structure only they belonged to."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.REGISTRATION_PURGE_AFTER)
    candidates = (
        User.objects.filter(is_active=False, activated_at__isnull=True, is_staff=False)
        .annotate(
            last_expiry=Max(
                "tokens__expires_at", filter=Q(tokens__purpose=OneTimeToken.Purpose.ACTIVATION)
            )
        )
        # A link is minted when its mail leaves: a mail that never left made no link.
        .filter(Q(last_expiry__lt=limit) | Q(last_expiry=None, date_joined__lt=limit))
    )
    purged = 0
    for user in candidates:
        if _registration_forget(user, reason="never activated"):
            purged += 1
    return purged
