"""Security keys and passkeys (WebAuthn): the options, adding a key, logging in with it, and
every refusal (stale or replayed challenge, tampered answer, someone else's key, a cloned key).
The answers are signed by a P-256 key in Python (tests/security_key.py); the browser journey
is tests/e2e/test_security_key.py."""

import json
import time

import pytest
from django.core.exceptions import DisallowedHost
from django.test import RequestFactory
from django.utils import translation
from webauthn.helpers import base64url_to_bytes

from accounts.models import SecurityKey
from accounts.services import webauthn
from accounts.views.mfa import SESSION_FACTOR_AT
from accounts.views.security_keys import _relying_party
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from tests.factories import PASSWORD, UserFactory
from tests.mfa import last_code
from tests.security_key import SoftKey, tampered

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"  # Django's test client
RP = webauthn.RelyingParty(id="testserver", origin=ORIGIN, name="Chorus Pro")


@pytest.fixture
def user():
    user = UserFactory(active=True)
    user.email_codes_chosen = True
    user.save(update_fields=["email_codes_chosen"])
    return user


def enrolled(user, *, name="Blue key", **key_options) -> tuple[SoftKey, SecurityKey]:
    """A key added through the service, as the page does."""
    soft = SoftKey(**key_options)
    session = {}
    options = webauthn.registration_options(user=user, rp=RP, session=session)
    key = webauthn.registration_verify(
        user=user,
        rp=RP,
        session=session,
        credential=soft.create(options, origin=ORIGIN),
        name=name,
    )
    return soft, key


def kinds(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(user=user, kind__startswith="mfa_")
        .order_by("pk")
        .values_list("kind", flat=True)
    )


# The relying party -----------------------------------------------------------------------------


def test_the_relying_party_is_the_host_of_the_request(settings):
    """The RP ID is the request's host name (a domain: "localhost" in the browser tests),
    the origin its scheme, host and port; WEBAUTHN_RP_ID, when set, names the ID."""
    settings.ALLOWED_HOSTS = ["localhost", "portal.example.org"]
    factory = RequestFactory()
    rp = _relying_party(factory.get("/", HTTP_HOST="localhost:8123"))
    assert (rp.id, rp.origin, rp.name) == ("localhost", "http://localhost:8123", "Chorus Pro")
    secure = _relying_party(factory.get("/", HTTP_HOST="portal.example.org", secure=True))
    assert (secure.id, secure.origin) == ("portal.example.org", "https://portal.example.org")
    settings.WEBAUTHN_RP_ID = "example.org"
    assert _relying_party(factory.get("/", HTTP_HOST="portal.example.org")).id == "example.org"


def test_a_host_not_allowed_gives_no_relying_party(settings):
    """The origin is never taken from a Host header that ALLOWED_HOSTS does not list."""
    settings.ALLOWED_HOSTS = ["localhost"]
    with pytest.raises(DisallowedHost):
        _relying_party(RequestFactory().get("/", HTTP_HOST="evil.example.com"))


# Adding a key ----------------------------------------------------------------------------------


def test_registration_options_exclude_the_keys_of_the_person(user):
    """The options name our RP, prefer user verification and a passkey, ask no attestation,
    exclude the person's keys (not another person's), and keep the challenge in the session."""
    mine = SoftKey()
    SecurityKey.objects.create(
        user=user, name="old", credential_id=mine.id, public_key=b"x", transports=["usb", "nfc"]
    )
    SecurityKey.objects.create(
        user=UserFactory(active=True), name="theirs", credential_id=SoftKey().id, public_key=b"y"
    )
    session = {}
    options = webauthn.registration_options(user=user, rp=RP, session=session)
    assert options["rp"] == {"id": "testserver", "name": "Chorus Pro"}
    assert options["user"]["name"] == user.email
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == [
        {"id": mine.id, "type": "public-key", "transports": ["usb", "nfc"]}
    ]
    stored = session["webauthn_challenge_register"]
    assert stored["value"] == options["challenge"] and stored["user"] == user.pk
    # The user handle is opaque and stable: not the e-mail, the same at each registration.
    again = webauthn.registration_options(user=user, rp=RP, session={})
    assert options["user"]["id"] == again["user"]["id"]
    assert user.email.encode() not in base64url_to_bytes(options["user"]["id"])


def test_a_key_is_added_under_its_name_audited_and_mailed(user):
    """A valid answer creates the key (its public key, counter and transports) under the
    name chosen; the change is audited and mailed to the login e-mail."""
    soft, key = enrolled(user, name="Blue key")
    key.refresh_from_db()
    assert (key.user, key.name, key.credential_id) == (user, "Blue key", soft.id)
    assert key.sign_count == 1 and key.transports == ["usb"]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_FACTOR_ADDED, user=user)
    assert event.detail["factor"] == "security_key"
    assert OutgoingEmail.objects.filter(user=user, kind="mfa_factor_changed").exists()


@pytest.mark.parametrize(
    "answer",
    [
        # Signed on another page (a phishing site copying ours).
        lambda soft, options: soft.create(options, origin="http://testserver.evil.example"),
        # Made for another relying party (the hash of its ID in the authenticator data).
        lambda soft, options: soft.create(options, origin=ORIGIN, rp_id="evil.example"),
        # Without the person's presence (the flag of the authenticator data cleared).
        lambda soft, options: soft.create(options, origin=ORIGIN, flags=0),
        # Not a credential at all.
        lambda soft, options: {"id": "x", "rawId": "y", "response": {}},
    ],
    ids=["origin", "rp-id", "presence", "garbage"],
)
def test_a_tampered_registration_is_refused_and_audited(user, answer):
    session = {}
    options = webauthn.registration_options(user=user, rp=RP, session=session)
    with pytest.raises(webauthn.KeyRefused) as refused:
        webauthn.registration_verify(
            user=user, rp=RP, session=session, credential=answer(SoftKey(), options), name="k"
        )
    assert refused.value.reason == "invalid"
    assert not SecurityKey.objects.exists()
    assert kinds(user) == [AuditEvent.Kind.MFA_FAILED]


def test_a_registration_for_another_challenge_is_refused(user):
    """An answer signed for another challenge than the one of the session is refused."""
    session = {}
    webauthn.registration_options(user=user, rp=RP, session=session)
    other = webauthn.registration_options(user=user, rp=RP, session={})
    with pytest.raises(webauthn.KeyRefused):
        webauthn.registration_verify(
            user=user,
            rp=RP,
            session=session,
            credential=SoftKey().create(other, origin=ORIGIN),
            name="k",
        )
    assert not SecurityKey.objects.exists()


def test_the_registration_challenge_is_single_use_and_expires(user, monkeypatch):
    """A second answer to the same challenge (a replay) finds none; nor does a late one."""
    soft = SoftKey()
    session = {}
    options = webauthn.registration_options(user=user, rp=RP, session=session)
    credential = soft.create(options, origin=ORIGIN)
    stored = dict(session)
    webauthn.registration_verify(user=user, rp=RP, session=session, credential=credential, name="k")
    with pytest.raises(webauthn.KeyRefused) as replay:
        webauthn.registration_verify(
            user=user, rp=RP, session=session, credential=credential, name="k"
        )
    assert replay.value.reason == "challenge"
    stored["webauthn_challenge_register"]["at"] = time.time() - webauthn.CHALLENGE_TTL - 1
    with pytest.raises(webauthn.KeyRefused) as late:
        webauthn.registration_verify(
            user=user, rp=RP, session=stored, credential=credential, name="k"
        )
    assert late.value.reason == "challenge"
    assert SecurityKey.objects.count() == 1


def test_the_same_key_is_not_added_twice(user):
    """A credential already registered (the browser normally refuses it, from the exclude
    list) is refused by the database's unique constraint too."""
    soft, _key = enrolled(user)
    soft.sign_count = 0
    session = {}
    options = webauthn.registration_options(user=user, rp=RP, session=session)
    with pytest.raises(webauthn.KeyRefused) as refused:
        webauthn.registration_verify(
            user=user,
            rp=RP,
            session=session,
            credential=soft.create(options, origin=ORIGIN),
            name="again",
        )
    assert refused.value.reason == "known"
    assert SecurityKey.objects.count() == 1


# Logging in with a key -------------------------------------------------------------------------


def test_authentication_options_allow_only_the_keys_of_the_person(user):
    soft, _key = enrolled(user)
    enrolled(UserFactory(active=True))
    session = {}
    options = webauthn.authentication_options(user=user, rp=RP, session=session)
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "preferred"
    assert options["allowCredentials"] == [
        {"id": soft.id, "type": "public-key", "transports": ["usb"]}
    ]
    assert session["webauthn_challenge_authenticate"]["value"] == options["challenge"]


def test_a_valid_assertion_updates_the_counter_and_is_audited(user):
    soft, key = enrolled(user)
    session = {}
    options = webauthn.authentication_options(user=user, rp=RP, session=session)
    used = webauthn.authentication_verify(
        user=user, rp=RP, session=session, credential=soft.get(options, origin=ORIGIN)
    )
    assert used.pk == key.pk
    key.refresh_from_db()
    assert key.sign_count == 2 and key.last_used_at is not None
    passed = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_PASSED, user=user)
    assert passed.detail["method"] == "security_key"


def test_the_authentication_challenge_is_single_use(user):
    """Replaying an assertion (same challenge) is refused and counts as a failure."""
    soft, key = enrolled(user)
    session = {}
    options = webauthn.authentication_options(user=user, rp=RP, session=session)
    assertion = soft.get(options, origin=ORIGIN)
    webauthn.authentication_verify(user=user, rp=RP, session=session, credential=assertion)
    with pytest.raises(webauthn.KeyRefused) as replay:
        webauthn.authentication_verify(user=user, rp=RP, session=session, credential=assertion)
    assert replay.value.reason == "challenge"
    assert kinds(user)[-2:] == [AuditEvent.Kind.MFA_PASSED, AuditEvent.Kind.MFA_FAILED]


@pytest.mark.parametrize(
    "field, change",
    [
        ("signature", lambda b: b[:-1] + bytes([b[-1] ^ 1])),
        ("clientDataJSON", lambda b: b.replace(ORIGIN.encode(), b"http://evil.example")),
        ("authenticatorData", lambda b: bytes([b[0] ^ 1]) + b[1:]),  # another RP ID hash
    ],
    ids=["signature", "origin", "rp-id"],
)
def test_a_tampered_assertion_is_refused_and_audited(user, field, change):
    soft, key = enrolled(user)
    session = {}
    options = webauthn.authentication_options(user=user, rp=RP, session=session)
    assertion = tampered(soft.get(options, origin=ORIGIN), field, change)
    with pytest.raises(webauthn.KeyRefused) as refused:
        webauthn.authentication_verify(user=user, rp=RP, session=session, credential=assertion)
    assert refused.value.reason == "invalid"
    key.refresh_from_db()
    assert key.sign_count == 1 and key.last_used_at is None
    assert kinds(user)[-1] == AuditEvent.Kind.MFA_FAILED


def test_the_key_of_another_person_is_refused(user):
    """A valid assertion of someone else's key does not log this person in."""
    other = UserFactory(active=True)
    their_soft, their_key = enrolled(other)
    enrolled(user)
    session = {}
    options = webauthn.authentication_options(user=other, rp=RP, session={})
    mine = webauthn.authentication_options(user=user, rp=RP, session=session)
    assertion = their_soft.get({**options, "challenge": mine["challenge"]}, origin=ORIGIN)
    with pytest.raises(webauthn.KeyRefused) as refused:
        webauthn.authentication_verify(user=user, rp=RP, session=session, credential=assertion)
    assert refused.value.reason == "unknown"
    their_key.refresh_from_db()
    assert their_key.sign_count == 1
    assert kinds(user)[-1] == AuditEvent.Kind.MFA_FAILED


def test_a_cloned_key_is_refused_and_audited(user):
    """A counter that does not grow means the key's secret was copied: refused, the event
    MFA_CLONED_KEY names both counts, and the stored counter stays."""
    soft, key = enrolled(user)
    SecurityKey.objects.filter(pk=key.pk).update(sign_count=7)
    session = {}
    options = webauthn.authentication_options(user=user, rp=RP, session=session)
    assertion = soft.get(options, origin=ORIGIN)  # counter 2
    with pytest.raises(webauthn.KeyRefused) as refused:
        webauthn.authentication_verify(user=user, rp=RP, session=session, credential=assertion)
    assert refused.value.reason == "cloned"
    key.refresh_from_db()
    assert key.sign_count == 7 and key.last_used_at is None
    cloned = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_CLONED_KEY, user=user)
    assert cloned.detail == {"key": key.pk, "stored_count": 7, "received_count": 2}
    assert kinds(user)[-2:] == [AuditEvent.Kind.MFA_CLONED_KEY, AuditEvent.Kind.MFA_FAILED]


def test_a_passkey_whose_counter_stays_at_zero_is_accepted(user):
    """Many passkeys always send 0: both counts at 0 is no sign of a copy."""
    soft, key = enrolled(user, counter_step=0)
    for _ in range(2):
        session = {}
        options = webauthn.authentication_options(user=user, rp=RP, session=session)
        webauthn.authentication_verify(
            user=user, rp=RP, session=session, credential=soft.get(options, origin=ORIGIN)
        )
    key.refresh_from_db()
    assert key.sign_count == 0
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_CLONED_KEY).exists()


# The pages -------------------------------------------------------------------------------------


def test_the_key_page_needs_a_login_and_a_fresh_second_factor(client, user, settings):
    assert client.get("/account/two-step/key/")["Location"].startswith("/login/")
    assert client.post("/account/two-step/key/options/").status_code == 403
    client.force_login(user)
    session = client.session
    session[SESSION_FACTOR_AT] = time.time() - settings.MFA_FRESH_SECONDS - 1
    session.save()
    response = client.get("/account/two-step/key/")
    assert response["Location"] == "/login/verify/?next=%2Faccount%2Ftwo-step%2Fkey%2F"
    refused = client.post("/account/two-step/key/options/")
    assert refused.status_code == 403
    assert refused.json() == {"redirect": "/account/two-step/key/"}


def test_the_key_page_asks_for_a_name_and_says_that_it_needs_javascript(client, user):
    client.force_login(user)
    page = client.get("/account/two-step/key/").content.decode()
    assert "<title>Security key ·" in page and "<h1>Security key</h1>" in page
    assert "Name of the key" in page and "Add a security key" in page
    assert "A security key needs JavaScript, which your browser does not run." in page
    assert 'src="/static/js/webauthn.' in page and "<script>" not in page
    # Sent without its script: no key, the same explanation as an error.
    sent = client.post("/account/two-step/key/", {"name": "Blue key"}).content.decode()
    assert "There is a problem" in sent and "needs JavaScript" in sent
    assert not SecurityKey.objects.exists()


def test_adding_a_first_key_through_the_page_shows_the_recovery_codes(client, user):
    """The options in JSON, then the page's form with the name and the key's answer: the
    key is added and, as after any first factor, the ten recovery codes are shown."""
    client.force_login(user)
    options = client.post("/account/two-step/key/options/").json()
    assert options["rp"]["id"] == "testserver"
    soft = SoftKey()
    response = client.post(
        "/account/two-step/key/",
        {"name": "Blue key", "credential": json.dumps(soft.create(options, origin=ORIGIN))},
    )
    assert response.status_code == 200
    assert "Save these ten codes now" in response.content.decode()
    assert SecurityKey.objects.get(user=user).name == "Blue key"


def test_a_refused_key_is_said_on_the_page(client, user):
    client.force_login(user)
    options = client.post("/account/two-step/key/options/").json()
    credential = tampered(
        SoftKey().create(options, origin=ORIGIN),
        "clientDataJSON",
        lambda b: b.replace(b"testserver", b"evil.example"),
    )
    page = client.post(
        "/account/two-step/key/", {"name": "Blue key", "credential": json.dumps(credential)}
    ).content.decode()
    assert "The answer of your security key could not be checked." in page
    assert not SecurityKey.objects.exists()


def test_the_choice_of_a_factor_offers_a_security_key(client, user):
    client.force_login(user)
    page = client.get("/account/two-step/choose/").content.decode()
    assert 'href="/account/two-step/key/"' in page


def password_step(client, user):
    response = client.post("/login/", {"login-email": user.email, "login-password": PASSWORD})
    assert response["Location"] == "/login/verify/"


def test_logging_in_with_a_key(client, user):
    """The second page offers the key; its answer logs in (JSON: where to go), with the
    browser remembered when the box was ticked."""
    soft, key = enrolled(user)
    password_step(client, user)
    page = client.get("/login/verify/").content.decode()
    assert "Use your security key" in page and 'data-remember="id_remember"' in page
    options = client.post("/login/verify/key/options/").json()
    assert [c["id"] for c in options["allowCredentials"]] == [soft.id]
    response = client.post(
        "/login/verify/key/",
        {"credential": soft.get(options, origin=ORIGIN), "remember": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"redirect": "/dashboard/"}
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "chorus_mfa_browser" in response.cookies
    assert kinds(user)[-2:] == [AuditEvent.Kind.MFA_PASSED, AuditEvent.Kind.MFA_BROWSER_REMEMBERED]
    key.refresh_from_db()
    assert key.sign_count == 2


def test_the_second_page_offers_no_key_to_a_person_without_one(client, user):
    password_step(client, user)
    assert "Use your security key" not in client.get("/login/verify/").content.decode()


def test_a_refused_key_at_log_in_answers_why_and_logs_nobody_in(client, user):
    soft, key = enrolled(user)
    SecurityKey.objects.filter(pk=key.pk).update(sign_count=50)
    password_step(client, user)
    options = client.post("/login/verify/key/options/").json()
    response = client.post(
        "/login/verify/key/",
        {"credential": soft.get(options, origin=ORIGIN)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "it looks like a copy of your key" in response.json()["error"]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_CLONED_KEY, user=user).exists()


def test_the_key_log_in_needs_a_pending_log_in_and_respects_the_lock_out(client, user, settings):
    soft, _key = enrolled(user)
    assert client.post("/login/verify/key/options/").json() == {"redirect": "/login/"}
    assert client.post("/login/verify/key/").json() == {"redirect": "/login/"}
    password_step(client, user)
    for _ in range(settings.MFA_FAILURES_PER_15_MINUTES):
        AuditEvent.objects.create(kind=AuditEvent.Kind.MFA_FAILED, user=user)
    refused = client.post("/login/verify/key/options/")
    assert refused.status_code == 429 and refused.json() == {"redirect": "/login/verify/"}
    assert "Too many failed attempts" in client.get("/login/verify/").content.decode()


def test_a_logged_in_person_asked_again_passes_with_a_key(client, user, settings):
    """Before a change of the factors, the key renews the fresh second factor and goes back
    to the page asked (`next`), without a new log-in."""
    soft, _key = enrolled(user)
    client.force_login(user)
    session = client.session
    session[SESSION_FACTOR_AT] = time.time() - settings.MFA_FRESH_SECONDS - 1
    session.save()
    options = client.post("/login/verify/key/options/").json()
    response = client.post(
        "/login/verify/key/?next=/account/two-step/key/",
        {"credential": soft.get(options, origin=ORIGIN)},
        content_type="application/json",
    )
    assert response.json() == {"redirect": "/account/two-step/key/"}
    assert client.get("/account/two-step/key/").status_code == 200


def test_an_e_mail_code_still_works_for_a_person_with_a_key(client, user):
    """The key is offered, not imposed: the code by e-mail remains a way in."""
    enrolled(user)
    password_step(client, user)
    client.get("/login/verify/")
    client.post("/login/verify/send-code/")
    response = client.post("/login/verify/", {"code": last_code(user.email)})
    assert response["Location"] == "/dashboard/"


def test_the_key_pages_are_in_french(client, user):
    """The contract's labels have their French translation."""
    client.force_login(user)
    with translation.override("en"):  # the French of the requests stays in them
        page = client.get("/account/two-step/key/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        enrolled(user)
        client.logout()
        password_step(client, user)
        second = client.get("/login/verify/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Clé de sécurité</h1>" in page and "Ajouter une clé de sécurité" in page
    assert "Nom de la clé" in page and "Une clé de sécurité a besoin de JavaScript" in page
    assert "Utiliser votre clé de sécurité" in second
