"""Checking the password of a person already logged in, before a sensitive change (password,
secret question, primary manager role): throttled per account, so a stolen session cannot be
used to guess the password."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

from audit import services as audit
from audit.models import AuditEvent

_GROUP = "current-password-failures"


def _usage(request, user, *, increment: bool):
    return get_usage(
        request,
        group=_GROUP,
        key=lambda _group, _request: f"user:{user.pk}",
        rate=settings.CURRENT_PASSWORD_FAILURE_RATE,
        increment=increment,
    )


def current_password_check(*, request, user, password: str) -> None:
    """Raise a ValidationError for the form when `password` is not the user's, or when too
    many wrong ones were typed lately (then the password is not even checked)."""
    usage = _usage(request, user, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        audit.record(AuditEvent.Kind.LOCKOUT, user=user, door="current_password")
        raise forms.ValidationError(
            _(
                "Too many wrong passwords in a short time. For your security, wait 15 minutes "
                "before trying again."
            ),
            code="too_many_attempts",
        )
    if not user.check_password(password):
        _usage(request, user, increment=True)
        audit.record(AuditEvent.Kind.LOGIN_FAILURE, user=user, door="current_password")
        raise forms.ValidationError(_("This is not your current password."), code="wrong_password")
