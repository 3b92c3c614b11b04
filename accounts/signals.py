"""Audit of every log-in path (site and admin alike), through Django's and axes' signals."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit import services as audit
from audit.models import AuditEvent
from common.text import normalize_email


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(AuditEvent.Kind.LOGIN_SUCCESS, user=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    email = credentials.get("email") or credentials.get("username") or ""
    audit.record(AuditEvent.Kind.LOGIN_FAILURE, email=normalize_email(str(email)))


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit.record(AuditEvent.Kind.LOCKOUT, email=normalize_email(str(username or "")))
