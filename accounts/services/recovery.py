"""Password recovery: a link mailed to the login e-mail AND the secret answer, never one alone."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import secret
from accounts.models import OneTimeToken, User
from accounts.services import links, mfa
from accounts.services.account import password_changed_mail
from audit import services as audit
from audit.models import AuditEvent

PURPOSE = OneTimeToken.Purpose.PASSWORD_RESET
MAX_ANSWER_FAILURES = 5  # per link


def answer_failures_today(user: User) -> int:
    """Wrong secret answers for this account in the last 24 hours, whatever the link: a new
    link does not buy new guesses beyond SECRET_ANSWER_FAILURES_PER_DAY."""
    since = timezone.now() - timedelta(days=1)
    return AuditEvent.objects.filter(
        kind=AuditEvent.Kind.SECRET_ANSWER_FAILURE, user=user, created_at__gte=since
    ).count()


def answer_guesses_exhausted(user: User) -> bool:
    return answer_failures_today(user) >= settings.SECRET_ANSWER_FAILURES_PER_DAY


@transaction.atomic
def password_reset_request(*, email: str) -> bool:
    """Mail a reset link to an active account; nothing for any other address (the caller
    answers the same neutral message)."""
    audit.record(AuditEvent.Kind.PASSWORD_RESET_REQUEST, email=email)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return False
    links.link_mail(user=user, purpose=PURPOSE)
    return True


def password_reset_link(*, raw_token: str | None) -> OneTimeToken | None:
    """The reset link behind `raw_token` when it may still be used, else None."""
    token = links.link_find(raw=raw_token, purpose=PURPOSE)
    if links.link_state(token) != links.LinkState.VALID or not token.user.is_active:
        return None
    if answer_guesses_exhausted(token.user):
        return None
    return token


class WrongAnswer(Exception):
    def __init__(self, remaining: int):
        super().__init__(remaining)
        self.remaining = remaining


class LinkUnusable(Exception):
    pass


def password_reset(*, raw_token: str | None, answer: str, new_password: str) -> User:
    """Check the secret answer, then set the password. Five wrong answers kill the link.

    Changing the password changes the session hash, so every open session of the user ends.
    """
    with transaction.atomic():
        try:
            token = links.link_lock(raw=raw_token, purpose=PURPOSE)
        except links.LinkRefused:
            raise LinkUnusable from None
        user = token.user
        if not user.is_active or answer_guesses_exhausted(user):
            raise LinkUnusable
        if not secret.answer_matches(answer, user.secret_answer_hash):
            token.failed_attempts += 1
            audit.record(
                AuditEvent.Kind.SECRET_ANSWER_FAILURE, user=user, attempts=token.failed_attempts
            )
            remaining = min(
                MAX_ANSWER_FAILURES - token.failed_attempts,
                settings.SECRET_ANSWER_FAILURES_PER_DAY - answer_failures_today(user),
            )
            if remaining <= 0:
                token.revoked_at = timezone.now()
            token.save(update_fields=["failed_attempts", "revoked_at"])
            failure = WrongAnswer(remaining)
        else:
            failure = None
            user.set_password(new_password)
            fields = ["password"]
            if secret.answer_hash_outdated(user.secret_answer_hash):
                user.secret_answer_hash = secret.hash_answer(answer)
                fields.append("secret_answer_hash")
            user.save(update_fields=fields)
            links.link_use(token)
            mfa.browsers_forget(user=user)
            audit.record(AuditEvent.Kind.PASSWORD_RESET, user=user)
            password_changed_mail(user=user)
    if failure is not None:
        raise failure
    return user
