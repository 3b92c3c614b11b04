"""Password recovery: a link mailed to the login e-mail AND the secret answer, never one alone."""

from django.db import transaction
from django.utils import timezone

from accounts import audit, secret
from accounts.flows.account import _password_changed_mail
from accounts.flows.tokens import find_token, mail_link
from accounts.models import AuditEvent, OneTimeToken, User

SESSION_KEY = "password_reset_token"
MAX_ANSWER_FAILURES = 5


@transaction.atomic
def request_reset(*, email: str) -> bool:
    """Mail a reset link to an active account; nothing for any other address (the caller
    answers the same neutral message)."""
    audit.record(AuditEvent.Kind.PASSWORD_RESET_REQUEST, email=email)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return False
    mail_link(
        user=user,
        purpose=OneTimeToken.Purpose.PASSWORD_RESET,
        path="/password/reset/",
        kind="password_reset",
        template="accounts/email/password_reset",
    )
    return True


def usable_token(raw: str | None) -> OneTimeToken | None:
    token = find_token(raw or "", OneTimeToken.Purpose.PASSWORD_RESET)
    if token is None or token.state != "valid" or not token.user.is_active:
        return None
    return token


class WrongAnswer(Exception):
    def __init__(self, remaining: int):
        super().__init__(remaining)
        self.remaining = remaining


class LinkUnusable(Exception):
    pass


def reset_password(*, raw_token: str, answer: str, new_password: str) -> User:
    """Check the secret answer, then set the password. Five wrong answers kill the link.

    Changing the password changes the session hash, so every open session of the user ends.
    """
    with transaction.atomic():
        token = usable_token(raw_token)
        if token is None:
            raise LinkUnusable
        token = OneTimeToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.state != "valid":
            raise LinkUnusable
        user = token.user
        if not secret.answer_matches(answer, user.secret_answer_hash):
            token.failed_attempts += 1
            if token.failed_attempts >= MAX_ANSWER_FAILURES:
                token.revoked_at = timezone.now()
            token.save(update_fields=["failed_attempts", "revoked_at"])
            audit.record(
                AuditEvent.Kind.SECRET_ANSWER_FAILURE, user=user, attempts=token.failed_attempts
            )
            failure = WrongAnswer(MAX_ANSWER_FAILURES - token.failed_attempts)
        else:
            failure = None
            user.set_password(new_password)
            user.save(update_fields=["password"])
            token.used_at = timezone.now()
            token.save(update_fields=["used_at"])
            OneTimeToken.objects.filter(
                user=user, purpose=OneTimeToken.Purpose.PASSWORD_RESET
            ).usable().update(revoked_at=timezone.now())
            audit.record(AuditEvent.Kind.PASSWORD_RESET, user=user)
            _password_changed_mail(user)
    if failure is not None:
        raise failure
    return user
