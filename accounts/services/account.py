"""My account: names, language, contact e-mail, password, secret question."""

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.utils import timezone

from accounts import secret
from accounts.models import OneTimeToken, User
from accounts.services import links, mfa
from audit import services as audit
from audit.models import AuditEvent
from outbox.services import absolute_url, email_queue


def password_changed_mail(*, user: User) -> None:
    """Tell the person their password changed, with the way back if it was not them."""
    email_queue(
        kind="password_changed",
        to=user.email,
        template="accounts/email/password_changed",
        context={"user": user, "reset_url": absolute_url("/password/forgot/")},
        language=user.preferred_language,
        user=user,
    )


def credential_changed_mail(*, user: User, change: str, **context) -> None:
    """Tell the login e-mail that a credential changed (`change`: "secret_question" or
    "contact_email"), with the way back if it was not the person."""
    email_queue(
        kind=f"{change}_changed",
        to=user.email,
        template="accounts/email/credential_changed",
        context={
            "user": user,
            "change": change,
            "reset_url": absolute_url("/password/forgot/"),
            "help_url": absolute_url("/help/ask/"),
            **context,
        },
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
        links.link_mail(user=user, purpose=OneTimeToken.Purpose.CONTACT_EMAIL, to=contact_email)
        return True
    return False


def contact_email_pending(*, raw_token: str | None) -> str | None:
    """The new contact e-mail a link would confirm, or None when the link is not valid."""
    token = links.link_find(raw=raw_token, purpose=OneTimeToken.Purpose.CONTACT_EMAIL)
    if links.link_state(token) != links.LinkState.VALID:
        return None
    return token.payload


@transaction.atomic
def contact_email_confirm(*, raw_token: str | None) -> User | None:
    """Use a confirmation link: the contact e-mail becomes the one it carries."""
    try:
        token = links.link_lock(raw=raw_token, purpose=OneTimeToken.Purpose.CONTACT_EMAIL)
    except links.LinkRefused:
        return None
    user = token.user
    previous = user.contact_email
    user.contact_email = token.payload
    user.save(update_fields=["contact_email"])
    links.link_use(token)
    audit.record(
        AuditEvent.Kind.CONTACT_EMAIL_CHANGE, user=user, previous=previous, new=user.contact_email
    )
    credential_changed_mail(user=user, change="contact_email", new_email=user.contact_email)
    return user


@transaction.atomic
def password_change(*, request, user: User, new_password: str) -> None:
    """Set a new password; the other sessions of the user end, this one goes on."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    # A reset link asked for before the change must not undo it.
    links.links_revoke(user=user, purpose=OneTimeToken.Purpose.PASSWORD_RESET)
    mfa.browsers_forget(user=user)
    audit.record(AuditEvent.Kind.PASSWORD_CHANGE, user=user, actor=user)
    password_changed_mail(user=user)


@transaction.atomic
def secret_question_change(*, user: User, question: str, answer: str) -> None:
    user.secret_question = question
    user.secret_answer_hash = secret.hash_answer(answer)
    user.save(update_fields=["secret_question", "secret_answer_hash"])
    audit.record(AuditEvent.Kind.SECRET_QUESTION_CHANGE, user=user, actor=user)
    credential_changed_mail(user=user, change="secret_question")


def user_activate(*, user: User, password: str, question: str, answer: str) -> User:
    """The person chose a password and a secret question: the account becomes usable."""
    user.set_password(password)
    user.secret_question = question
    user.secret_answer_hash = secret.hash_answer(answer)
    user.is_active = True
    user.activated_at = timezone.now()
    user.save(
        update_fields=[
            "password",
            "secret_question",
            "secret_answer_hash",
            "is_active",
            "activated_at",
        ]
    )
    return user
