"""Single-use links sent by mail: activation, password reset, contact e-mail confirmation.

A link carries 256 random bits; only their SHA-256 is stored, so a database leak gives no
working link. Issuing a new link of a purpose revokes the older ones of that purpose.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts import audit
from accounts.mail import absolute_url, queue_email
from accounts.models import AuditEvent, OneTimeToken, User, hash_token, new_raw_token

TTL = {
    OneTimeToken.Purpose.ACTIVATION: lambda: settings.ACTIVATION_LINK_TTL,
    OneTimeToken.Purpose.PASSWORD_RESET: lambda: settings.PASSWORD_RESET_LINK_TTL,
    OneTimeToken.Purpose.CONTACT_EMAIL: lambda: settings.CONTACT_EMAIL_LINK_TTL,
}


def create_token(
    *, user: User, purpose: str, payload: str = "", revoke_previous: bool = True
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
    )
    return token, raw


def mail_link(
    *,
    user: User,
    purpose: str,
    path: str,
    kind: str,
    template: str,
    to: str | None = None,
    payload: str = "",
    revoke_previous: bool = True,
):
    """Create a token of `purpose` and queue the mail carrying its link (`path` + secret),
    in the user's language, to the login e-mail unless `to` says otherwise."""
    token, raw = create_token(
        user=user, purpose=purpose, payload=payload, revoke_previous=revoke_previous
    )
    return queue_email(
        kind=kind,
        to=to or user.email,
        template=template,
        context={
            "user": user,
            "link": absolute_url(f"{path}{raw}/"),
            "minutes": TTL[purpose]() // 60,
        },
        language=user.preferred_language,
        user=user,
        token=token,
    )


def find_token(raw: str, purpose: str) -> OneTimeToken | None:
    """The token behind a raw secret, whatever its state, or None when there is no such link."""
    if not raw or len(raw) > 100:
        return None
    return (
        OneTimeToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), purpose=purpose)
        .first()
    )


def issue_activation_link(user: User, *, new_user: bool = False):
    """Send a new activation link to the login e-mail, revoking the older ones (a user created
    in this transaction has none, and its registration is audited on its own)."""
    email = mail_link(
        user=user,
        purpose=OneTimeToken.Purpose.ACTIVATION,
        path="/activate/",
        kind="activation",
        template="accounts/email/activation",
        revoke_previous=not new_user,
    )
    if not new_user:
        audit.record(AuditEvent.Kind.ACTIVATION_LINK_SENT, user=user)
    return email


def resend_activation_link(*, email: str) -> bool:
    """A new link for an account still waiting for activation; nothing for any other address.

    The caller answers the same neutral message either way.
    """
    from django.db import transaction

    user = User.objects.filter(email=email, is_active=False, activated_at__isnull=True).first()
    if user is None:
        return False
    with transaction.atomic():
        issue_activation_link(user)
    return True
