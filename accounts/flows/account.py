"""My account: names, language, contact e-mail, password, secret question."""

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.utils import timezone

from accounts import audit, secret
from accounts.flows.tokens import find_token, mail_link
from accounts.mail import absolute_url, queue_email
from accounts.models import AuditEvent, OneTimeToken, User


def _password_changed_mail(user: User) -> None:
    queue_email(
        kind="password_changed",
        to=user.email,
        template="accounts/email/password_changed",
        context={"user": user, "reset_url": absolute_url("/password/forgot/")},
        language=user.preferred_language,
        user=user,
    )


@transaction.atomic
def profile_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    phone: str,
    preferred_language: str,
    contact_email: str,
) -> bool:
    """Save names and language; a new contact e-mail only gets a confirmation link.

    Returns True when a confirmation link was sent."""
    changed = []
    for name, value in (
        ("first_name", first_name),
        ("last_name", last_name),
        ("phone", phone),
        ("preferred_language", preferred_language),
    ):
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if changed:
        user.save(update_fields=changed)
        audit.record(AuditEvent.Kind.PROFILE_CHANGE, user=user, actor=user, fields=changed)
    if contact_email and contact_email.lower() != user.notification_email.lower():
        mail_link(
            user=user,
            purpose=OneTimeToken.Purpose.CONTACT_EMAIL,
            path="/account/contact-email/",
            kind="contact_email_confirmation",
            template="accounts/email/contact_email",
            to=contact_email,
            payload=contact_email,
        )
        return True
    return False


@transaction.atomic
def contact_email_confirm(*, raw_token: str) -> User | None:
    token = find_token(raw_token, OneTimeToken.Purpose.CONTACT_EMAIL)
    if token is None or token.state != "valid":
        return None
    token = OneTimeToken.objects.select_for_update().get(pk=token.pk)
    if token.used_at:
        return None
    user = token.user
    previous = user.contact_email
    user.contact_email = token.payload
    user.save(update_fields=["contact_email"])
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    audit.record(
        AuditEvent.Kind.CONTACT_EMAIL_CHANGE, user=user, previous=previous, new=user.contact_email
    )
    return user


@transaction.atomic
def password_change(*, request, user: User, new_password: str) -> None:
    """Set a new password; the other sessions of the user end, this one goes on."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    audit.record(AuditEvent.Kind.PASSWORD_CHANGE, user=user, actor=user)
    _password_changed_mail(user)


@transaction.atomic
def secret_question_change(*, user: User, question: str, answer: str) -> None:
    user.secret_question = question
    user.secret_answer_hash = secret.hash_answer(answer)
    user.save(update_fields=["secret_question", "secret_answer_hash"])
    audit.record(AuditEvent.Kind.SECRET_QUESTION_CHANGE, user=user, actor=user)
