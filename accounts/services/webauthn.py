"""Security keys and passkeys (WebAuthn, py_webauthn): adding one, and logging in with it.

Each ceremony is two requests: the options (with a random challenge, kept in the server-side
session and usable once, for CHALLENGE_TTL), then the browser's signed answer, checked against
that challenge, the page's origin and the relying party ID. Both come from the request (its
host is validated by ALLOWED_HOSTS), so the same code serves http://localhost:<port> in tests
and the real domain; WEBAUTHN_RP_ID, when set, names a parent domain instead.

A key's signature counter must grow at each use: one that does not (while either count is
above 0; many passkeys always send 0) means the key's secret was copied, and the log-in is
refused (MFA_CLONED_KEY). The counter is compared here, after the signature was checked, so a
forged answer cannot raise that alarm.
"""

import dataclasses
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import SecurityKey, User
from accounts.services import mfa
from audit import services as audit
from audit.models import AuditEvent

METHOD = "security_key"
CHALLENGE_TTL = 300  # seconds; the browser is told the same (timeout)
_SESSION_KEY = "webauthn_challenge"
# What a malformed or hostile answer can raise while being parsed and checked.
_REFUSED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


class KeyRefused(Exception):
    """The browser's answer was not accepted; `reason` says why, in a word."""

    def __init__(self, reason: str, **detail):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class RelyingParty:
    """Who the key signs for: the RP ID (a domain, never an IP address) and the exact origin
    of the page (scheme, host, port)."""

    id: str
    origin: str
    name: str

    @classmethod
    def of(cls, *, scheme: str, host: str) -> "RelyingParty":
        """From the request's scheme and its host (request.get_host(), checked against
        ALLOWED_HOSTS); WEBAUTHN_RP_ID overrides the ID when set."""
        origin = f"{scheme}://{host}"
        return cls(
            id=settings.WEBAUTHN_RP_ID or urlsplit(origin).hostname or "",
            origin=origin,
            name=settings.WEBAUTHN_RP_NAME,
        )


# The challenge, server-side and single-use -----------------------------------------------------


@dataclasses.dataclass
class Challenge:
    """The challenge of the ceremony under way, in the session: for whom, for what, when."""

    purpose: str  # "register" | "authenticate"
    user: int
    value: str  # base64url
    at: float

    def to_session(self, session) -> None:
        session[f"{_SESSION_KEY}_{self.purpose}"] = dataclasses.asdict(self)

    @classmethod
    def take(cls, session, *, purpose: str, user: User) -> bytes | None:
        """The challenge given to this user for this purpose, removed from the session (a
        second answer to it finds none); None when absent, someone else's or too old."""
        stored = session.pop(f"{_SESSION_KEY}_{purpose}", None)
        try:
            challenge = cls(**stored)
        except TypeError:
            return None
        if challenge.user != user.pk or time.time() - challenge.at > CHALLENGE_TTL:
            return None
        return base64url_to_bytes(challenge.value)


def _user_handle(user: User) -> bytes:
    """A stable, opaque ID of the person for the authenticator (no e-mail, no database id):
    adding a second passkey on the same device replaces the first instead of piling up."""
    return salted_hmac("accounts.webauthn.user_handle", str(user.pk), algorithm="sha256").digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for key in SecurityKey.objects.filter(user=user).order_by("created_at"):
        transports = []
        for value in key.transports or []:
            try:
                transports.append(AuthenticatorTransport(value))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(key.credential_id), transports=transports or None
            )
        )
    return descriptors


# Adding a key ----------------------------------------------------------------------------------


def registration_options(*, user: User, rp: RelyingParty, session) -> dict:
    """The options of navigator.credentials.create(), as JSON: the person's keys excluded
    (the same key is not added twice), user verification and a discoverable credential
    (passkey) preferred, no attestation asked. The challenge goes into `session`."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.get_full_name() or user.email,
        timeout=CHALLENGE_TTL * 1000,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    Challenge(
        purpose="register",
        user=user.pk,
        value=bytes_to_base64url(options.challenge),
        at=time.time(),
    ).to_session(session)
    return options_to_json_dict(options)


def registration_verify(
    *, user: User, rp: RelyingParty, session, credential: dict | str, name: str
) -> SecurityKey:
    """The browser's new credential, checked against the challenge of `session`: saved
    under the name the person chose, audited and announced by mail. Raises KeyRefused."""
    challenge = Challenge.take(session, purpose="register", user=user)
    if challenge is None:
        raise KeyRefused("challenge")
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except _REFUSED as refused:
        mfa._failed(user, "security_key_setup")
        raise KeyRefused("invalid") from refused
    transports = [transport.value for transport in parsed.response.transports or []]
    try:
        with transaction.atomic():
            key = SecurityKey.objects.create(
                user=user,
                name=name,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
            )
            mfa.security_key_added(user=user, key=key)
    except IntegrityError as taken:  # this credential is registered already
        raise KeyRefused("known") from taken
    return key


# Logging in with a key -------------------------------------------------------------------------


def authentication_options(*, user: User, rp: RelyingParty, session) -> dict:
    """The options of navigator.credentials.get(), as JSON: only this person's keys are
    allowed. The challenge goes into `session`."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CHALLENGE_TTL * 1000,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    Challenge(
        purpose="authenticate",
        user=user.pk,
        value=bytes_to_base64url(options.challenge),
        at=time.time(),
    ).to_session(session)
    return options_to_json_dict(options)


def authentication_verify(
    *, user: User, rp: RelyingParty, session, credential: dict | str
) -> SecurityKey:
    """The browser's signed assertion, checked against the challenge of `session` and one of
    this person's keys: the key's counter and last use are updated, MFA_PASSED audited.
    Otherwise MFA_FAILED (and MFA_CLONED_KEY when the counter went back) and KeyRefused.
    The caller checks `mfa.locked_out(user)` first."""
    try:
        with transaction.atomic():
            key = _authentication_check(user=user, rp=rp, session=session, credential=credential)
    except KeyRefused as refused:  # recorded after the rollback of the transaction
        if refused.reason == "cloned":
            audit.record(AuditEvent.Kind.MFA_CLONED_KEY, user=user, **refused.detail)
        mfa._failed(user, METHOD)
        raise
    mfa._passed(user, METHOD)
    return key


def _authentication_check(*, user: User, rp: RelyingParty, session, credential) -> SecurityKey:
    challenge = Challenge.take(session, purpose="authenticate", user=user)
    if challenge is None:
        raise KeyRefused("challenge")
    try:
        parsed = parse_authentication_credential_json(credential)
    except _REFUSED as refused:
        raise KeyRefused("invalid") from refused
    key = (
        SecurityKey.objects.select_for_update()
        .filter(user=user, credential_id=bytes_to_base64url(parsed.raw_id))
        .first()
    )
    if key is None:  # not a key of this person
        raise KeyRefused("unknown")
    try:
        # The counter is compared below, once the signature is known to be the key's.
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=0,
        )
    except _REFUSED as refused:
        raise KeyRefused("invalid") from refused
    if (verified.new_sign_count > 0 or key.sign_count > 0) and (
        verified.new_sign_count <= key.sign_count
    ):
        raise KeyRefused(
            "cloned",
            key=key.pk,
            stored_count=key.sign_count,
            received_count=verified.new_sign_count,
        )
    key.sign_count = verified.new_sign_count
    key.last_used_at = timezone.now()
    key.save(update_fields=["sign_count", "last_used_at"])
    return key
