"""Single-use links sent by mail: activation, password reset, contact e-mail confirmation.

This module is the one place that answers "is this link still valid?" (`link_state`) and
redeems a link (`link_lock`, then `link_use`). A link carries 256 random bits; only their
SHA-256 is stored, so a database leak gives no working link. Issuing a new link of a purpose
revokes the older ones of that purpose.

The secret is minted when the mail leaves, not when it is queued: `link_mail` queues a mail
whose link is an outbox slot, and `link_mail_sending` (the outbox hook of those kinds) creates
the token and fills the slot. So the outbox row never holds a working link, and a link's
lifetime starts at sending without any later adjustment. A mail replaced by a newer one of the
same kind before it left is not sent at all: only the newest link works.
"""

import enum
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import OneTimeToken, User, hash_token, new_raw_token
from audit import services as audit
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.services import absolute_url, email_queue

TTL = {
    OneTimeToken.Purpose.ACTIVATION: lambda: settings.ACTIVATION_LINK_TTL,
    OneTimeToken.Purpose.PASSWORD_RESET: lambda: settings.PASSWORD_RESET_LINK_TTL,
    OneTimeToken.Purpose.CONTACT_EMAIL: lambda: settings.CONTACT_EMAIL_LINK_TTL,
    OneTimeToken.Purpose.DOMAIN_PROOF: lambda: settings.CONTACT_EMAIL_LINK_TTL,
}

# Where each kind of link leads (the secret follows) and the mail that carries it.
PATHS = {
    OneTimeToken.Purpose.ACTIVATION: "/activate/",
    OneTimeToken.Purpose.PASSWORD_RESET: "/password/reset/",
    OneTimeToken.Purpose.CONTACT_EMAIL: "/account/contact-email/",
    OneTimeToken.Purpose.DOMAIN_PROOF: "/structure/domain/",
}
MAIL_KINDS = {
    OneTimeToken.Purpose.ACTIVATION: ("activation", "accounts/email/activation"),
    OneTimeToken.Purpose.PASSWORD_RESET: ("password_reset", "accounts/email/password_reset"),
    OneTimeToken.Purpose.CONTACT_EMAIL: (
        "contact_email_confirmation",
        "accounts/email/contact_email",
    ),
    OneTimeToken.Purpose.DOMAIN_PROOF: ("domain_proof", "accounts/email/domain_proof"),
}

# Where the page opened by a link finds its secret (see accounts.views.links.open_link).
SESSION_KEYS = {
    OneTimeToken.Purpose.ACTIVATION: "activation_token",
    OneTimeToken.Purpose.PASSWORD_RESET: "password_reset_token",
    OneTimeToken.Purpose.CONTACT_EMAIL: "contact_email_token",
    OneTimeToken.Purpose.DOMAIN_PROOF: "domain_proof_token",
}

MAX_SECRET_LENGTH = 100


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"  # revoked: a newer link was sent, or too many wrong answers
    INVALID = "invalid"  # no such link (mistyped, tampered, purged)


class LinkRefused(Exception):
    """The link cannot be used; `state` says why."""

    def __init__(self, state: LinkState):
        super().__init__(state)
        self.state = state


def link_state(token: OneTimeToken | None, *, now=None) -> LinkState:
    """What a link is worth now. The only answer to that question in the code."""
    if token is None:
        return LinkState.INVALID
    if token.used_at:
        return LinkState.USED
    if token.revoked_at:
        return LinkState.REPLACED
    if token.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED
    return LinkState.VALID


def link_find(*, raw: str | None, purpose: str) -> OneTimeToken | None:
    """The token behind a raw secret, whatever its state, or None when there is no such link."""
    if not raw or len(raw) > MAX_SECRET_LENGTH:
        return None
    return (
        OneTimeToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), purpose=purpose)
        .first()
    )


def link_lock(*, raw: str | None, purpose: str) -> OneTimeToken:
    """The valid token behind `raw`, locked with its user until the transaction ends (one
    query: FOR UPDATE covers both joined rows), so two posts of one link cannot both use it.

    Raises LinkRefused with the link's state when it is not valid."""
    token = None
    if raw and len(raw) <= MAX_SECRET_LENGTH:
        token = (
            OneTimeToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=hash_token(raw), purpose=purpose)
            .first()
        )
    state = link_state(token)
    if state != LinkState.VALID:
        raise LinkRefused(state)
    return token


def link_use(token: OneTimeToken, *, now=None) -> None:
    """Consume a locked token and revoke the user's other live links of the same purpose."""
    now = now or timezone.now()
    token.used_at = now
    token.save(update_fields=["used_at"])
    OneTimeToken.objects.filter(user=token.user_id, purpose=token.purpose).exclude(
        pk=token.pk
    ).usable().update(revoked_at=now)


def links_revoke(*, user: User, purpose: str) -> int:
    """Revoke the user's live links of `purpose`, and the mails of that purpose not sent yet
    (they would mint a fresh link when they leave). Returns how many links were revoked."""
    now = timezone.now()
    kind, _template = MAIL_KINDS[purpose]
    OutgoingEmail.objects.filter(user=user, kind=kind, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.SUPERSEDED, next_attempt_at=None
    )
    return OneTimeToken.objects.filter(user=user, purpose=purpose).usable().update(revoked_at=now)


def link_create(
    *,
    user: User,
    purpose: str,
    payload: str = "",
    revoke_previous: bool = True,
    mail: OutgoingEmail | None = None,
) -> tuple[OneTimeToken, str]:
    """Revoke the user's live tokens of this purpose and create a new one; return it with the
    raw secret, which exists only in the mail."""
    now = timezone.now()
    if revoke_previous:
        OneTimeToken.objects.filter(user=user, purpose=purpose).usable().update(revoked_at=now)
    raw = new_raw_token()
    token = OneTimeToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + timedelta(seconds=TTL[purpose]()),
        payload=payload,
        mail=mail,
    )
    return token, raw


def link_mail(
    *,
    user: User,
    purpose: str,
    to: str | None = None,
) -> OutgoingEmail:
    """Queue the mail of a link of `purpose`, in the user's language, to the login e-mail
    unless `to` says otherwise (a contact e-mail confirmation goes to the new address, which
    the link confirms). The link itself is minted when the mail leaves."""
    kind, template = MAIL_KINDS[purpose]
    return email_queue(
        kind=kind,
        to=to or user.email,
        template=template,
        context={"user": user, "minutes": TTL[purpose]() // 60},
        language=user.preferred_language,
        user=user,
        slots=("link",),
    )


# A manager's invitation carries an activation link too: another text, the same link.
INVITATION_KIND = "invitation"
INVITATION_TEMPLATE = "accounts/email/invitation"

PURPOSE_OF_KIND = {kind: purpose for purpose, (kind, _template) in MAIL_KINDS.items()}
PURPOSE_OF_KIND[INVITATION_KIND] = OneTimeToken.Purpose.ACTIVATION


def link_mail_sending(mail: OutgoingEmail) -> dict[str, str] | None:
    """The outbox hook of link mails: mint the link now, revoking the user's older links of
    that purpose (a mail replaced by a newer one never gets here: `newest_only`)."""
    if not mail.slots:
        return {}  # no link to mint in it (written by hand, or before links had slots)
    purpose = PURPOSE_OF_KIND[mail.kind]
    # A link proving an address carries it: the page it opens knows what was proven.
    proves_address = purpose in (
        OneTimeToken.Purpose.CONTACT_EMAIL,
        OneTimeToken.Purpose.DOMAIN_PROOF,
    )
    payload = mail.to if proves_address else ""
    _token, raw = link_create(user=mail.user, purpose=purpose, payload=payload, mail=mail)
    return {"link": absolute_url(f"{PATHS[purpose]}{raw}/")}


def link_mail_not_sent(mail: OutgoingEmail) -> None:
    """The outbox hook after a refused attempt: the link minted for it never reached anyone."""
    OneTimeToken.objects.filter(mail=mail).usable().update(revoked_at=timezone.now())


def activation_link_send(
    *, user: User, new_user: bool = False, actor: User | None = None, **detail
) -> OutgoingEmail:
    """Send a new activation link to the login e-mail; it revokes the older ones when it
    leaves (a user created in this transaction is audited by its registration). `actor` and
    `detail` say who asked for it, when it was not the person."""
    mail = link_mail(user=user, purpose=OneTimeToken.Purpose.ACTIVATION)
    if not new_user:
        audit.record(AuditEvent.Kind.ACTIVATION_LINK_SENT, user=user, actor=actor, **detail)
    return mail


def invitation_mail(*, user: User, inviter: User, structure_name: str) -> OutgoingEmail:
    """Queue the invitation of a person a manager added to a structure: the activation link
    (minted when the mail leaves, like every link) with who invited them and where."""
    return email_queue(
        kind=INVITATION_KIND,
        to=user.email,
        template=INVITATION_TEMPLATE,
        context={
            "user": user,
            "inviter": inviter.get_full_name(),
            "structure_name": structure_name,
            "minutes": TTL[OneTimeToken.Purpose.ACTIVATION]() // 60,
        },
        language=user.preferred_language,
        user=user,
        slots=("link",),
    )


def activation_link_resend(*, email: str) -> bool:
    """A new link for an account still waiting for activation; nothing for any other address.

    The caller answers the same neutral message either way.
    """
    user = User.objects.filter(email=email, is_active=False, activated_at__isnull=True).first()
    if user is None:
        return False
    with transaction.atomic():
        activation_link_send(user=user)
    return True
