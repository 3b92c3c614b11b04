"""Joining by proof: a structure's e-mail domains.

The primary manager declares a domain by giving an address at it; a link mailed to that
address proves it (accounts' single-use links, purpose DOMAIN_PROOF). A newcomer whose login
e-mail is at a proven domain of the structure they register with joins it as a user, without
waiting, once their account is activated (their login address is proven by activation), and
the managers are told. Webmail domains can never be declared: anyone can have an address there.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OneTimeToken
from accounts.services import links
from audit import services as audit
from audit.models import AuditEvent
from outbox.services import absolute_url
from structures.managers import is_primary_manager, managers_mail
from structures.models import Membership, Structure, StructureDomain
from structures.signals import joined_by_domain

PURPOSE = OneTimeToken.Purpose.DOMAIN_PROOF

# Free mail providers (France's most used, and the big international ones): an address there
# proves nothing about a company.
WEBMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "outlook.fr", "hotmail.com",
        "hotmail.fr", "live.com", "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "ymail.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "aol.fr", "orange.fr", "wanadoo.fr",
        "free.fr", "sfr.fr", "neuf.fr", "laposte.net", "bbox.fr", "numericable.fr",
        "club-internet.fr", "gmx.fr", "gmx.com", "gmx.de", "gmx.net", "web.de",
        "protonmail.com", "proton.me", "pm.me", "mail.com", "yandex.com", "yandex.ru",
        "zoho.com", "tutanota.com", "hey.com", "libertysurf.fr", "aliceadsl.fr", "9online.fr",
    }
)  # fmt: skip
# The same providers under other country domains (yahoo.co.uk, hotmail.de, gmx.at…), and
# public or throw-away inboxes, where anyone can read any address.
WEBMAIL_PROVIDERS = frozenset(
    {
        "gmail", "googlemail", "outlook", "hotmail", "live", "msn", "yahoo", "ymail", "icloud",
        "aol", "gmx", "protonmail", "proton", "yandex", "zoho", "tutanota", "tuta", "mail",
        "libero", "t-online", "freenet", "posteo", "fastmail", "seznam", "rambler", "qq",
        "163", "126", "naver", "yopmail", "mailinator", "guerrillamail", "10minutemail",
        "temp-mail", "trashmail", "sharklasers", "maildrop", "dispostable", "getnada",
    }
)  # fmt: skip


def is_webmail(domain: str) -> bool:
    labels = domain.split(".")
    return (
        domain in WEBMAIL_DOMAINS
        or any(domain.endswith("." + web) for web in WEBMAIL_DOMAINS)
        or labels[0] in WEBMAIL_PROVIDERS
        or (len(labels) >= 2 and labels[-2] in WEBMAIL_PROVIDERS)
    )


class DomainRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def clean_domain_address(address: str) -> str:
    """The domain of an address a manager gives to prove it; webmail refused."""
    domain = domain_of(address)
    if is_webmail(domain):
        raise ValidationError(
            _(
                "%(domain)s is a webmail: anyone can have an address there, so it cannot "
                "stand for your company. Give an address at your company's own domain."
            ),
            code="webmail",
            params={"domain": domain},
        )
    return domain


@transaction.atomic
def domain_proof_request(*, structure: Structure, by, address: str) -> StructureDomain:
    """Declare the domain of `address` for the structure and mail the proof link there."""
    if not is_primary_manager(by, structure):
        raise DomainRefused(_("Only the primary manager declares the structure's domains."))
    try:
        domain = clean_domain_address(address)
    except ValidationError as error:
        raise DomainRefused(error.messages[0]) from None
    declared, _created = StructureDomain.objects.get_or_create(
        structure=structure, domain=domain, defaults={"requested_by": by}
    )
    if declared.proven_at:
        raise DomainRefused(_("This domain is already proven for the structure."))
    declared.requested_by = by
    declared.save(update_fields=["requested_by"])
    links.link_mail(user=by, purpose=PURPOSE, to=address)
    audit.record(
        AuditEvent.Kind.STRUCTURE_CHANGE, user=by, actor=by, **structure.audit_detail,
        fields=["domain"], domain=domain, proof="requested",
    )  # fmt: skip
    return declared


def domain_proof_pending(*, raw_token: str | None) -> str | None:
    """The domain a link would prove, or None when the link is not valid."""
    token = links.link_find(raw=raw_token, purpose=PURPOSE)
    if links.link_state(token) != links.LinkState.VALID:
        return None
    return domain_of(token.payload)


@transaction.atomic
def domain_proof_confirm(*, raw_token: str | None) -> StructureDomain | None:
    """Use a proof link: the domain of the address it was mailed to is proven for the
    structure whose manager asked. None when the link is not valid (any more)."""
    try:
        token = links.link_lock(raw=raw_token, purpose=PURPOSE)
    except links.LinkRefused:
        return None
    domain = domain_of(token.payload)
    declared = (
        StructureDomain.objects.select_for_update()
        .filter(requested_by=token.user, domain=domain, proven_at__isnull=True)
        .select_related("structure")
        .order_by("-created_at")
        .first()
    )
    links.link_use(token)
    if declared is None or not is_primary_manager(token.user, declared.structure):
        return None
    declared.proven_at = timezone.now()
    declared.save(update_fields=["proven_at"])
    audit.record(
        AuditEvent.Kind.STRUCTURE_CHANGE, user=token.user, actor=token.user,
        **declared.structure.audit_detail, fields=["domain"],
        domain=domain, proof="proven",
    )  # fmt: skip
    return declared


def joins_by_domain(membership: Membership) -> bool:
    """Whether this newcomer's login e-mail is at a proven domain of the structure."""
    return StructureDomain.objects.filter(
        structure_id=membership.structure_id,
        domain=domain_of(membership.user.email),
        proven_at__isnull=False,
    ).exists()


def domain_join(*, membership: Membership, now=None) -> Membership:
    """The newcomer joins as an active user at once; the managers are told by mail."""
    membership.status = Membership.Status.ACTIVE
    membership.role = Membership.Role.USER
    membership.claimant = False
    membership.requested_at = membership.decided_at = now or timezone.now()
    membership.save()
    audit.record(
        AuditEvent.Kind.JOIN_APPROVED, user=membership.user, actor=membership.user,
        **membership.structure.audit_detail,
        by_domain=domain_of(membership.user.email),
    )  # fmt: skip
    # Nobody chose this person's rights: the apps that hold them make them the narrowest.
    joined_by_domain.send(sender=Membership, membership=membership)
    managers_mail(
        structure=membership.structure,
        kind="joined_by_domain",
        template="structures/email/joined_by_domain",
        context={
            "member": membership.user,
            "structure": membership.structure,
            "url": absolute_url(f"/structures/{membership.structure_id}/"),
        },
    )
    return membership
