"""Registration, steps 1 to 3: the draft kept in the session, then the account in one transaction.

The draft lives on the server only: the SIRET and what INSEE said cannot be altered by the
browser, which sees nothing but the forms' own fields.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.flows.tokens import issue_activation_link
from accounts.mail import absolute_url, queue_email
from accounts.models import AuditEvent, OneTimeToken, User, normalize_email
from structures import sirene
from structures.models import Membership, Structure
from workareas.models import AreaAssignment, catalogue

logger = logging.getLogger(__name__)

SESSION_KEY = "registration"
SENT_KEY = "registration_sent_to"


class Lookup:
    FOUND = "found"
    NOT_PUBLIC = "not_public"
    UNAVAILABLE = "unavailable"
    EXISTING = "existing"


class StartRefused(Exception):
    """Step 1 cannot go on: the message says why, next to the SIRET."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def start_registration(*, email: str, siret: str) -> dict:
    """Step 1: find the structure in the portal or at INSEE and return the new draft.

    Raises StartRefused when the SIRET is unknown to INSEE or the establishment is closed.
    """
    draft = {"email": normalize_email(email), "siret": siret, "establishment": None}
    existing = Structure.objects.filter(siret=siret).first()
    if existing is not None:
        draft.update(lookup=Lookup.EXISTING, structure_id=existing.pk)
        return draft
    try:
        establishment = sirene.lookup_establishment(siret)
    except sirene.EstablishmentNotFound:
        raise StartRefused(
            _("This SIRET is not in the INSEE register. Check the 14 digits on your Kbis extract.")
        ) from None
    except sirene.EstablishmentNotPublic:
        draft.update(lookup=Lookup.NOT_PUBLIC)
        return draft
    except sirene.SireneUnavailable as exc:
        logger.warning("registration: INSEE unavailable for a lookup (%s)", exc)
        draft.update(lookup=Lookup.UNAVAILABLE)
        return draft
    if not establishment.is_active:
        raise StartRefused(
            _(
                "This establishment is closed in the INSEE register. Enter the SIRET of one of "
                "your company's active establishments."
            )
        )
    draft.update(lookup=Lookup.FOUND, establishment=establishment.to_dict())
    return draft


def initial_details(draft: dict) -> dict:
    """What step 2 shows first: what the user typed before, else what INSEE said."""
    if draft.get("details"):
        return dict(draft["details"])
    initial = {"contact_email": draft["email"], "country": "FR"}
    establishment = draft.get("establishment")
    if establishment:
        initial.update(
            company_name=establishment.get("name", ""),
            address_line=establishment.get("address_line", ""),
            address_complement=establishment.get("address_complement", ""),
            postal_code=establishment.get("postal_code", ""),
            city=establishment.get("city", ""),
            country=establishment.get("country_code") or "FR",
            non_diffusible=not establishment.get("is_diffusible", True),
        )
    if draft.get("lookup") == Lookup.NOT_PUBLIC:
        initial["non_diffusible"] = True
    return initial


def existing_structure(draft: dict) -> Structure | None:
    if draft.get("lookup") != Lookup.EXISTING:
        return None
    return Structure.objects.filter(pk=draft.get("structure_id")).first()


@dataclass
class RegistrationResult:
    email: str
    created: bool
    join_request: bool = False


_VERIFICATION = {
    Lookup.FOUND: Structure.Verification.VERIFIED,
    Lookup.NOT_PUBLIC: Structure.Verification.NOT_PUBLIC,
    Lookup.UNAVAILABLE: Structure.Verification.PENDING,
}


def _structure_for(draft: dict, details: dict) -> tuple[Structure, bool]:
    """The draft's structure, created when new. A structure registered by someone else since
    step 1 is joined rather than duplicated."""
    structure = Structure.objects.select_for_update().filter(siret=draft["siret"]).first()
    if structure is not None:
        return structure, False
    establishment = draft.get("establishment") or {}
    non_diffusible = bool(details.get("non_diffusible"))
    structure = Structure.objects.create(
        siret=draft["siret"],
        siren=draft["siret"][:9],
        name=details["company_name"],
        address_line=details.get("address_line", ""),
        address_complement=details.get("address_complement", ""),
        postal_code=details.get("postal_code", ""),
        city=details.get("city", ""),
        country=details.get("country") or "",
        non_diffusible=non_diffusible,
        verification=_VERIFICATION.get(draft.get("lookup"), Structure.Verification.PENDING),
        insee_snapshot=establishment.get("raw") or None,
        insee_checked_at=timezone.now() if draft.get("lookup") != Lookup.UNAVAILABLE else None,
    )
    return structure, True


def _notify_existing_account(user: User, language: str) -> None:
    queue_email(
        kind="account_exists",
        to=user.email,
        template="accounts/email/account_exists",
        context={
            "user": user,
            "login_url": absolute_url("/login/"),
            "reset_url": absolute_url("/password/forgot/"),
        },
        language=language,
        user=user,
    )


def complete_registration(
    *, draft: dict, area_codes: list[str], language: str
) -> RegistrationResult:
    """Step 3 validated: create structure, user, membership, areas, token and mail at once.

    An address that already has an account gets a mail saying so, and the journey ends on the
    same page as a new registration: nobody can learn from the portal whether an address is
    registered. An account never activated simply receives a new link.
    """
    email = draft["email"]
    details = draft["details"]
    try:
        with transaction.atomic():
            structure, created = _structure_for(draft, details)
            user = User.objects.create_user(
                email=email,
                first_name=details["first_name"],
                last_name=details["last_name"],
                contact_email=details.get("contact_email") or email,
                phone=details.get("phone", ""),
                preferred_language=language if language in ("en", "fr") else "en",
            )
            membership = Membership.objects.create(
                user=user,
                structure=structure,
                role=Membership.Role.PRIMARY_MANAGER if created else Membership.Role.USER,
                status=Membership.Status.AWAITING_ACTIVATION,
            )
            AreaAssignment.objects.bulk_create(
                [
                    AreaAssignment(membership=membership, area=area)
                    for area in catalogue()
                    if area.always_on or area.code in area_codes
                ]
            )
            issue_activation_link(user, new_user=True)
            audit.record(
                AuditEvent.Kind.REGISTRATION,
                user=user,
                siret=structure.siret,
                structure_created=created,
                insee=draft.get("lookup"),
            )
    except IntegrityError:
        # The address already has an account (the unique constraint says so, race-free).
        existing_user = User.objects.filter(email=email).first()
        if existing_user is None:
            raise
        return _registration_for_existing(existing_user, language)
    return RegistrationResult(email=email, created=True, join_request=not created)


def _registration_for_existing(user: User, language: str) -> RegistrationResult:
    with transaction.atomic():
        if user.is_active or user.activated_at:
            _notify_existing_account(user, user.preferred_language or language)
        else:
            issue_activation_link(user)
    return RegistrationResult(email=user.email, created=False)


def purge_abandoned_registrations(*, now=None) -> int:
    """Delete accounts never activated whose last link expired more than 7 days ago, with their
    structure when nobody else belongs to it."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.REGISTRATION_PURGE_AFTER)
    candidates = (
        User.objects.filter(is_active=False, activated_at__isnull=True, is_staff=False)
        .annotate(
            last_expiry=Max(
                "tokens__expires_at", filter=Q(tokens__purpose=OneTimeToken.Purpose.ACTIVATION)
            )
        )
        .filter(last_expiry__lt=limit)
    )
    purged = 0
    for user in candidates:
        with transaction.atomic():
            structure_ids = list(user.memberships.values_list("structure_id", flat=True))
            email = user.email
            user.delete()
            Structure.objects.filter(pk__in=structure_ids, memberships__isnull=True).delete()
            audit.record(AuditEvent.Kind.PURGE, email=email)
            purged += 1
    return purged
