"""Checking the password of a person already logged in, before a sensitive change (password,
secret question, primary manager role): throttled per account, so a stolen session cannot be
used to guess the password."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import AuditEvent
from common import throttle

_GROUP = "current-password-failures"


def _budget(user) -> dict:
    """The failures of this account (whatever the IP), checked before the password."""
    return {
        "group": _GROUP,
        "rates": [settings.CURRENT_PASSWORD_FAILURE_RATE],
        "key": f"user:{user.pk}",
        "fail_closed": True,  # password guessing (common.throttle's policy)
    }


def current_password_check(*, request, user, password: str) -> None:
    """Raise a ValidationError for the form when `password` is not the user's, or when too
    many wrong ones were typed lately (then the password is not even checked)."""
    if throttle.over(request, **_budget(user)):
        audit.record(AuditEvent.Kind.LOCKOUT, user=user, door="current_password")
        raise forms.ValidationError(
            _(
                "Too many wrong passwords in a short time. For your security, wait 15 minutes "
                "before trying again."
            ),
            code="too_many_attempts",
        )
    if not user.check_password(password):
        throttle.exceeded(request, **_budget(user))
        audit.record(AuditEvent.Kind.LOGIN_FAILURE, user=user, door="current_password")
        raise forms.ValidationError(_("This is not your current password."), code="wrong_password")
