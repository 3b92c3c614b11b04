"""Two-step verification: the second factors of a person and the checks of each.

Factors: an authenticator app (TOTP, django-otp's TOTPDevice), security keys (WebAuthn,
accounts.services.webauthn), codes mailed to the login e-mail, and ten single-use recovery
codes. A person with none enrolled yet (every account at its first log-in) receives an e-mail
code. E-mail and recovery codes are stored as keyed hashes (HMAC-SHA256 with a key derived
from SECRET_KEY) and compared in constant time; an e-mail code is minted when its mail leaves
(an outbox slot), so no row ever holds it in clear. Wrong codes are capped per account
(MFA_FAILURES_PER_15_MINUTES), apart from password failures.
"""

import dataclasses
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import (
    EmailCode,
    RecoveryCode,
    RememberedBrowser,
    SecurityKey,
    User,
    hash_token,
    new_raw_token,
)
from audit import services as audit
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.services import absolute_url, email_queue

EMAIL_CODE_KIND = "mfa_code"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def code_digest(code: str) -> str:
    """The keyed hash under which a code is stored (a 6-digit code would fall to a plain
    hash in a second; without SECRET_KEY this one cannot be searched)."""
    normalized = "".join(code.split()).replace("-", "").lower()
    return salted_hmac("accounts.mfa.code", normalized, algorithm="sha256").hexdigest()


def _matches(code: str, digest: str) -> bool:
    return hmac.compare_digest(code_digest(code), digest)


# What a person has ---------------------------------------------------------------------------


@dataclasses.dataclass
class Factors:
    totp: TOTPDevice | None
    keys: list[SecurityKey]
    email_codes: bool
    recovery_left: int

    @property
    def enrolled(self) -> bool:
        return bool(self.totp or self.keys or self.email_codes)

    @property
    def count(self) -> int:
        return (1 if self.totp else 0) + len(self.keys) + (1 if self.email_codes else 0)


def factors_of(user: User, *, count_recovery_codes: bool = True) -> Factors:
    return Factors(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        keys=list(SecurityKey.objects.filter(user=user).order_by("created_at")),
        email_codes=user.email_codes_chosen,
        recovery_left=(
            RecoveryCode.objects.filter(user=user, used_at=None).count()
            if count_recovery_codes
            else 0
        ),
    )


# Failures ------------------------------------------------------------------------------------


def locked_out(user: User) -> bool:
    """Too many wrong codes lately (MFA_FAILURES_PER_15_MINUTES), or in the last day
    (MFA_FAILURES_PER_DAY, NIST SP 800-63B's ceiling): no code is even checked until then.
    One query."""
    now = timezone.now()
    counted = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.MFA_FAILED, user=user, created_at__gte=now - timedelta(days=1)
    ).aggregate(
        day=Count("pk"),
        recent=Count("pk", filter=Q(created_at__gte=now - timedelta(minutes=15))),
    )
    return (
        counted["recent"] >= settings.MFA_FAILURES_PER_15_MINUTES
        or counted["day"] >= settings.MFA_FAILURES_PER_DAY
    )


def _failed(user: User, method: str) -> None:
    audit.record(AuditEvent.Kind.MFA_FAILED, user=user, method=method)


def _passed(user: User, method: str) -> None:
    audit.record(AuditEvent.Kind.MFA_PASSED, user=user, method=method)


# E-mail codes --------------------------------------------------------------------------------


class CodeNotSent(Exception):
    """An e-mail code was asked too soon ("minute") or too often ("day")."""


@dataclasses.dataclass
class EmailCodeStatus:
    sent_today: int
    last_sent_at: object  # datetime | None
    waiting: bool  # a code can be typed: mailed and still live, or about to leave


def email_code_status(user: User) -> EmailCodeStatus:
    """The code mails of the last day and whether a code is waiting, in two queries."""
    now = timezone.now()
    counted = OutgoingEmail.objects.filter(
        user=user, kind=EMAIL_CODE_KIND, created_at__gte=now - timedelta(days=1)
    ).aggregate(
        count=Count("pk"),
        last=Max("created_at"),
        leaving=Count("pk", filter=Q(status__in=OutgoingEmail.WAITING)),
    )
    live = EmailCode.objects.filter(
        user=user, used_at=None, revoked_at=None, expires_at__gt=now
    ).exists()
    return EmailCodeStatus(
        sent_today=counted["count"],
        last_sent_at=counted["last"],
        waiting=live or counted["leaving"] > 0,
    )


def email_code_send(*, user: User, status: EmailCodeStatus | None = None) -> OutgoingEmail:
    """Queue a mail with a new code (minted when it leaves; it revokes the older ones then).
    At most one a minute and MFA_EMAIL_CODES_PER_DAY a day per account."""
    status = status or email_code_status(user)
    if status.last_sent_at and status.last_sent_at >= timezone.now() - timedelta(minutes=1):
        raise CodeNotSent("minute")
    if status.sent_today >= settings.MFA_EMAIL_CODES_PER_DAY:
        raise CodeNotSent("day")
    with transaction.atomic():
        mail = email_queue(
            kind=EMAIL_CODE_KIND,
            to=user.email,
            template="accounts/email/mfa_code",
            context={"user": user, "minutes": settings.MFA_EMAIL_CODE_TTL // 60},
            language=user.preferred_language,
            user=user,
            slots=("code",),
        )
        audit.record(AuditEvent.Kind.MFA_CODE_SENT, user=user)
    return mail


def email_code_mail_sending(mail: OutgoingEmail) -> dict[str, str] | None:
    """The outbox hook of code mails: mint the code now (valid MFA_EMAIL_CODE_TTL from now),
    revoking the older ones (a mail replaced by a newer one never gets here: `newest_only`)."""
    now = timezone.now()
    EmailCode.objects.filter(user=mail.user_id, used_at=None, revoked_at=None).update(
        revoked_at=now
    )
    code = f"{secrets.randbelow(10**6):06d}"
    EmailCode.objects.create(
        user_id=mail.user_id,
        code_hash=code_digest(code),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.MFA_EMAIL_CODE_TTL),
    )
    return {"code": code}


def email_code_mail_not_sent(mail: OutgoingEmail) -> None:
    """The outbox hook after a refused attempt: the code minted for it never reached anyone
    (any older one was revoked when it was minted)."""
    EmailCode.objects.filter(user=mail.user_id, used_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def email_code_verify(*, user: User, code: str) -> bool:
    """The newest live e-mail code matches: it is used up."""
    with transaction.atomic():
        live = (
            EmailCode.objects.select_for_update()
            .filter(user=user, used_at=None, revoked_at=None, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if live is None or not _matches(code, live.code_hash):
            return False
        live.used_at = timezone.now()
        live.save(update_fields=["used_at"])
    return True


# Authenticator app ---------------------------------------------------------------------------


def totp_setup(*, user: User) -> TOTPDevice:
    """The authenticator app being added: an unconfirmed device, kept until it is confirmed
    by a first code (a page reload shows the same key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_confirm(*, user: User, code: str) -> bool:
    """The first code from the app proves it works: the device becomes the person's
    authenticator (replacing a previous one)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(_digits(code)):
        _failed(user, "totp_setup")
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _factor_added(user, "authenticator_app")
    return True


def totp_verify(*, user: User, code: str) -> bool:
    """A code of the person's authenticator app; a code already used (same or older time
    step) is refused (django-otp keeps the last step)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device is not None and device.verify_token(_digits(code))


def _digits(code: str) -> str:
    code = "".join((code or "").split())
    return code if code.isdigit() and len(code) == 6 else "x"


# Recovery codes ------------------------------------------------------------------------------


def recovery_codes_generate(*, user: User, announce: bool = True) -> list[str]:
    """Ten new codes, shown once; the older ones stop working. The login e-mail is told,
    unless they come with the first factor (whose own mail says enough)."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=code_digest(code)) for code in codes]
        )
        audit.record(AuditEvent.Kind.MFA_RECOVERY_CODES_NEW, user=user)
        if announce:
            _factor_change_mail(user=user, change="recovery_codes", factor="recovery_codes")
    return codes


def recovery_code_use(*, user: User, code: str) -> bool:
    digest = code_digest(code or "")
    with transaction.atomic():
        for candidate in RecoveryCode.objects.select_for_update().filter(user=user, used_at=None):
            if hmac.compare_digest(candidate.code_hash, digest):
                candidate.used_at = timezone.now()
                candidate.save(update_fields=["used_at"])
                audit.record(AuditEvent.Kind.MFA_RECOVERY_CODE_USED, user=user)
                return True
    return False


# Checking a code at log-in -------------------------------------------------------------------


def code_check(*, user: User, code: str, methods: list[str]) -> str | None:
    """Check a code typed at the second step against each of `methods` ("totp", "email",
    "recovery") in turn; audit one outcome. Returns the method that accepted it, or None.
    The person's row is locked for the check, so parallel guesses are counted one after
    the other against the cap (and one TOTP step cannot pass twice)."""
    if not methods:
        return None
    checks = {"totp": totp_verify, "email": email_code_verify, "recovery": recovery_code_use}
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if locked_out(user):
            return None
        for method in methods:
            if checks[method](user=user, code=code):
                _passed(user, method)
                return method
        _failed(user, "+".join(methods))
    return None


# Changes to the factors ----------------------------------------------------------------------


def _factor_added(user: User, factor: str) -> None:
    audit.record(AuditEvent.Kind.MFA_FACTOR_ADDED, user=user, actor=user, factor=factor)
    _factor_change_mail(user=user, change="added", factor=factor)


def _factor_change_mail(*, user: User, change: str, factor: str) -> None:
    email_queue(
        kind="mfa_factor_changed",
        to=user.email,
        template="accounts/email/mfa_changed",
        context={
            "user": user,
            "change": change,
            "factor": factor,
            "account_url": absolute_url("/account/two-step/"),
            "reset_url": absolute_url("/password/forgot/"),
        },
        language=user.preferred_language,
        user=user,
    )


def email_codes_choose(*, user: User) -> None:
    """ "Keep receiving codes by e-mail" becomes the person's second factor."""
    if user.email_codes_chosen:
        return
    user.email_codes_chosen = True
    user.save(update_fields=["email_codes_chosen"])
    _factor_added(user, "email_codes")


def security_key_added(*, user: User, key: SecurityKey) -> None:
    _factor_added(user, "security_key")


class LastFactor(Exception):
    """The only factor left cannot be removed."""


@transaction.atomic
def factor_remove(*, user: User, factor: str, key_id: int | None = None) -> None:
    """Remove the authenticator app, a security key or e-mail codes; never the last one."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if factors_of(user).count <= 1:
        raise LastFactor
    if factor == "authenticator_app":
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
    elif factor == "security_key":
        removed = SecurityKey.objects.filter(user=user, pk=key_id).delete()[0]
    elif factor == "email_codes":
        removed = int(user.email_codes_chosen)
        user.email_codes_chosen = False
        user.save(update_fields=["email_codes_chosen"])
    else:
        removed = 0
    if removed:
        audit.record(AuditEvent.Kind.MFA_FACTOR_REMOVED, user=user, actor=user, factor=factor)
        _factor_change_mail(user=user, change="removed", factor=factor)


@transaction.atomic
def second_factor_reset(*, user: User, by) -> None:
    """Support's last resort: every factor, recovery code and remembered browser goes; the
    person enrols again (with an e-mail code) at the next log-in, and is told by mail."""
    TOTPDevice.objects.filter(user=user).delete()
    SecurityKey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    RememberedBrowser.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    User.objects.filter(pk=user.pk).update(email_codes_chosen=False)
    audit.record(AuditEvent.Kind.MFA_RESET, user=user, actor=by)
    _factor_change_mail(user=user, change="reset", factor="all")


# Remembered browsers -------------------------------------------------------------------------

REMEMBER_COOKIE = settings.MFA_REMEMBER_COOKIE_NAME


def browser_remember(*, user: User, user_agent: str) -> str:
    """Remember this browser for MFA_REMEMBER_DAYS; returns the cookie's value (the row id
    and a secret, stored hashed)."""
    raw = new_raw_token()
    now = timezone.now()
    browser = RememberedBrowser.objects.create(
        user=user,
        token_hash=hash_token(raw),
        user_agent=user_agent[:300],
        created_at=now,
        expires_at=now + timedelta(days=settings.MFA_REMEMBER_DAYS),
    )
    audit.record(AuditEvent.Kind.MFA_BROWSER_REMEMBERED, user=user, browser=browser.pk)
    return f"{browser.pk}:{raw}"


def browser_recognised(*, user: User, cookie: str | None) -> bool:
    """The cookie names a live remembered browser of this user."""
    if not cookie or ":" not in cookie or len(cookie) > 200:
        return False
    pk, _, raw = cookie.partition(":")
    if not (pk.isascii() and pk.isdigit()):
        return False
    browser = RememberedBrowser.objects.filter(
        pk=int(pk), user=user, revoked_at=None, expires_at__gt=timezone.now()
    ).first()
    if browser is None or not hmac.compare_digest(browser.token_hash, hash_token(raw)):
        return False
    browser.last_used_at = timezone.now()
    browser.save(update_fields=["last_used_at"])
    return True


def browsers_forget(*, user: User) -> None:
    """A new password: no browser skips the second step any more."""
    RememberedBrowser.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())


def browser_revoke(*, user: User, browser_id: int) -> bool:
    revoked = RememberedBrowser.objects.filter(user=user, pk=browser_id, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(AuditEvent.Kind.MFA_BROWSER_REVOKED, user=user, actor=user)
        _factor_change_mail(user=user, change="browser_revoked", factor="browser")
    return bool(revoked)


def browsers_remembered(user: User):
    return RememberedBrowser.objects.filter(
        user=user, revoked_at=None, expires_at__gt=timezone.now()
    ).order_by("-created_at")
