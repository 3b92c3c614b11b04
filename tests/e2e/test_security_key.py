"""A security key in Chromium: added in My account, then used to log in, through the DevTools
virtual authenticator (WebAuthn.addVirtualAuthenticator), against the live server on
http://localhost:<port> (a security key signs for a domain: "localhost", never an IP)."""

import re

from playwright.sync_api import expect

from accounts.models import SecurityKey
from accounts.services import mfa
from audit.models import AuditEvent
from tests.e2e import support
from tests.factories import MembershipFactory

pytestmark = support.MARKS

EMAIL = "claire.key@example.org"


def virtual_authenticator(page) -> tuple:
    """A USB security key with a PIN, plugged into this page's browser tab; touched at once
    whenever the page asks (its credentials live as long as the page)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def sign_count(cdp, authenticator: str) -> int:
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    return credential["signCount"]


def add_key(page, base_url: str, name: str) -> None:
    """My account's choice of a factor → "Use a security key" → named → added."""
    page.goto(base_url + "/account/two-step/choose/")
    page.get_by_role("link", name="Use a security key").click()
    support.textbox(page, "Name of the key").fill(name)
    page.get_by_role("button", name="Add a security key").click()
    expect(page).to_have_url(base_url + "/account/two-step/")
    expect(page.get_by_role("main")).to_contain_text(f"Security key: {name}")


def log_out(page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("banner").get_by_role("button", name="Log out")).to_have_count(0)


def test_a_security_key_is_added_then_logs_in_and_a_cloned_one_is_refused(
    portal, page, shot, smtp_server
):
    """A person with codes by e-mail adds a key named "Blue key" in My account, logs out,
    logs in with the password and "Use your security key", and reaches the dashboard; the
    key's counter grew. The stored counter then set above the key's, the same key is refused
    as a copy (MFA_CLONED_KEY) and nobody is logged in."""
    user = MembershipFactory(primary_manager=True, user__email=EMAIL).user
    user.email_codes_chosen = True
    user.save(update_fields=["email_codes_chosen"])
    mfa.recovery_codes_generate(user=user)
    cdp, authenticator = virtual_authenticator(page)

    support.log_in(page, portal.url, EMAIL, smtp_server=smtp_server)
    page.goto(portal.url + "/account/two-step/choose/")
    page.get_by_role("link", name="Use a security key").click()
    expect(page).to_have_title("Security key · Chorus Pro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security key")
    expect(page.get_by_text("needs JavaScript")).to_be_hidden()
    support.textbox(page, "Name of the key").fill("Blue key")
    shot("the key is named")
    page.get_by_role("button", name="Add a security key").click()

    expect(page).to_have_url(portal.url + "/account/two-step/")
    expect(page.get_by_role("status").first).to_contain_text(
        "Your security key “Blue key” has been added."
    )
    expect(page.get_by_role("main")).to_contain_text("Security key: Blue key")
    shot("the key is listed")
    key = SecurityKey.objects.get(user=user)
    assert key.name == "Blue key"
    assert key.sign_count == sign_count(cdp, authenticator) == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_FACTOR_ADDED, user=user).exists()

    log_out(page)
    support.log_in_password(page, portal.url, EMAIL)
    shot("the second step offers the key")
    page.get_by_role("button", name="Use your security key").click()
    expect(page).to_have_url(portal.url + "/dashboard/")
    shot("logged in with the key")
    key.refresh_from_db()
    assert key.sign_count == sign_count(cdp, authenticator) == 2
    assert key.last_used_at is not None
    passed = AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_PASSED, user=user).latest("pk")
    assert passed.detail["method"] == "security_key"

    # The key reports 3 next; a copy used elsewhere would have brought the server past it.
    log_out(page)
    SecurityKey.objects.filter(pk=key.pk).update(sign_count=10)
    support.log_in_password(page, portal.url, EMAIL)
    page.get_by_role("button", name="Use your security key").click()
    status = page.locator("[data-webauthn-status]")
    expect(status).to_contain_text("it looks like a copy of your key")
    shot("a cloned key is refused")
    expect(page).to_have_url(portal.url + "/login/verify/")
    cloned = AuditEvent.objects.get(kind=AuditEvent.Kind.MFA_CLONED_KEY, user=user)
    assert cloned.detail == {"key": key.pk, "stored_count": 10, "received_count": 3}
    key.refresh_from_db()
    assert key.sign_count == 10
    page.goto(portal.url + "/dashboard/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))


def test_a_browser_without_the_json_helpers_uses_the_conversion_by_hand(portal, page, smtp_server):
    """Browsers older than WebAuthn level 3 have no parseCreationOptionsFromJSON,
    parseRequestOptionsFromJSON nor toJSON(): the script converts the options and the answers
    itself, and a key is added and logs in all the same."""
    page.add_init_script(
        "delete PublicKeyCredential.parseCreationOptionsFromJSON;"
        "delete PublicKeyCredential.parseRequestOptionsFromJSON;"
        "delete PublicKeyCredential.prototype.toJSON;"
    )
    user = MembershipFactory(primary_manager=True, user__email=EMAIL).user
    user.email_codes_chosen = True
    user.save(update_fields=["email_codes_chosen"])
    mfa.recovery_codes_generate(user=user)
    cdp, authenticator = virtual_authenticator(page)

    support.log_in(page, portal.url, EMAIL, smtp_server=smtp_server)
    assert (
        page.evaluate(
            "() => [typeof PublicKeyCredential.parseCreationOptionsFromJSON,"
            " typeof PublicKeyCredential.parseRequestOptionsFromJSON,"
            " typeof PublicKeyCredential.prototype.toJSON]"
        )
        == ["undefined"] * 3
    )
    add_key(page, portal.url, "Old browser key")
    log_out(page)
    support.log_in_password(page, portal.url, EMAIL)
    page.get_by_role("button", name="Use your security key").click()
    expect(page).to_have_url(portal.url + "/dashboard/")
    assert SecurityKey.objects.get(user=user).sign_count == sign_count(cdp, authenticator) == 2
