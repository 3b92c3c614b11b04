"""Two-step log-in: no session without a second factor, e-mail codes, the authenticator app,
recovery codes, remembered browsers, the settings page, the admin and support's reset."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EmailCode, RecoveryCode, RememberedBrowser
from accounts.services import mfa
from accounts.views.mfa import SESSION_FACTOR_AT, SESSION_VERIFIED_AT
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.mfa import last_code, log_in, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(primary_manager=True)


def password_step(client, user, **extra):
    response = client.post(
        "/login/", {"login-email": user.email, "login-password": PASSWORD}, **extra
    )
    assert response["Location"] == "/login/verify/"
    return response


def with_totp(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


# No session without a second factor ---------------------------------------------------------


def test_the_right_password_alone_opens_nothing(client, member):
    """After the password, the dashboard, My account and the admin all refuse the session."""
    member.user.is_staff = member.user.is_superuser = True
    member.user.save()
    password_step(client, member.user)
    assert "_auth_user_id" not in client.session
    for path in ("/dashboard/", "/account/", "/account/two-step/"):
        assert client.get(path)["Location"].startswith("/login/"), path
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/login/?next=%2Fadmin%2F"


def test_the_first_step_expires_after_10_minutes(client, member, settings):
    """A pending log-in older than MFA_PENDING_TTL is forgotten: back to the password."""
    password_step(client, member.user)
    session = client.session
    session["mfa_pending"]["at"] = time.time() - settings.MFA_PENDING_TTL - 1
    session.save()
    response = client.get("/login/verify/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "More than 10 minutes passed" in response.content.decode()


def test_a_session_authenticated_without_a_second_factor_is_logged_out(client, member):
    """A session that went through login() alone (an older session, any other path) is
    logged out at its next request."""
    client.force_login(member.user)
    session = client.session
    del session[SESSION_VERIFIED_AT]
    session.save()
    assert client.get("/dashboard/")["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


# E-mail codes --------------------------------------------------------------------------------


def test_first_log_in_mails_a_code_and_then_asks_to_choose_a_factor(client, member):
    """No factor yet: the second page says where the code went; the code logs in (new session
    key) and leads to "Choose your second factor"."""
    password_step(client, member.user)
    page = client.get("/login/verify/").content.decode()
    assert f"A 6-digit code has been sent to {member.user.email}" in page
    assert 'autocomplete="one-time-code"' in page
    before = client.session.session_key
    response = client.post("/login/verify/", {"code": last_code(member.user.email)})
    assert response["Location"] == "/account/two-step/choose/"
    assert client.session.session_key != before
    assert client.get("/dashboard/").status_code == 200
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"mfa_code_sent", "mfa_passed", "login_success"} <= kinds


def test_the_code_is_stored_hashed_minted_at_sending_and_single_use(client, member):
    """The outbox row holds a placeholder, the code table a keyed hash; a used code fails."""
    password_step(client, member.user)
    client.get("/login/verify/")
    row = OutgoingEmail.objects.get(kind="mfa_code")
    assert row.slots["code"] in row.body_text
    code = last_code(member.user.email)
    assert code not in row.body_text
    stored = EmailCode.objects.get()
    assert code not in stored.code_hash and stored.code_hash == mfa.code_digest(code)
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    other = Client()
    password_step(other, member.user)
    page = other.post("/login/verify/", {"code": code}).content.decode()
    assert "This code is not the right one, or it has expired." in page


def test_a_new_code_revokes_the_older_one(client, member):
    """Only the newest code works."""
    password_step(client, member.user)
    client.get("/login/verify/")
    first = last_code(member.user.email)
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    client.post("/login/verify/send-code/")
    second = last_code(member.user.email)
    if first == second:  # one chance in a million
        return
    assert "not the right one" in client.post("/login/verify/", {"code": first}).content.decode()
    assert client.post("/login/verify/", {"code": second}).status_code == 302


def test_an_expired_code_is_refused(client, member, settings):
    """A code is valid MFA_EMAIL_CODE_TTL from its sending."""
    password_step(client, member.user)
    client.get("/login/verify/")
    code = last_code(member.user.email)
    EmailCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "has expired" in client.post("/login/verify/", {"code": code}).content.decode()


def test_e_mail_codes_are_throttled_per_account(client, member, settings):
    """At most one code a minute and MFA_EMAIL_CODES_PER_DAY a day per account."""
    settings.MFA_EMAIL_CODES_PER_DAY = 2
    password_step(client, member.user)
    client.get("/login/verify/")
    page = client.post("/login/verify/send-code/", follow=True).content.decode()
    assert "A code was sent less than a minute ago" in page
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    client.post("/login/verify/send-code/")
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    page = client.post("/login/verify/send-code/", follow=True).content.decode()
    assert "Too many codes were sent today" in page
    assert OutgoingEmail.objects.filter(kind="mfa_code").count() == 2


def test_five_wrong_codes_lock_the_second_step_apart_from_passwords(client, member, settings):
    """MFA_FAILURES_PER_15_MINUTES wrong codes: the lock-out page, even for the right code;
    password failures are counted apart (axes is untouched)."""
    password_step(client, member.user)
    client.get("/login/verify/")
    code = last_code(member.user.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.MFA_FAILURES_PER_15_MINUTES):
        client.post("/login/verify/", {"code": wrong})
    response = client.post("/login/verify/", {"code": code})
    assert response.status_code == 429
    assert "too many wrong codes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind="mfa_failed").count() == 5
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()


# Authenticator app ---------------------------------------------------------------------------


def test_authenticator_app_enrolment_shows_qr_and_setup_key_then_needs_a_code(client, member):
    """The setup page has the QR code (inline SVG, "QR code") and the same key as text; a
    wrong code saves nothing, the right one makes it the factor and shows recovery codes."""
    client.force_login(member.user)
    page = client.get("/account/two-step/app/").content.decode()
    assert "<svg" in page and 'aria-label="QR code"' in page and "Setup key" in page
    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    assert client.get("/account/two-step/app/").status_code == 200
    assert TOTPDevice.objects.filter(user=member.user).count() == 1  # same key on reload
    wrong = "000000" if totp_now(device) != "000000" else "111111"
    page = client.post("/account/two-step/app/", {"code": wrong}).content.decode()
    assert "This code does not match" in page
    time.sleep(1.1)  # django-otp makes a device wait a second after a wrong code
    page = client.post("/account/two-step/app/", {"code": totp_now(device)}).content.decode()
    assert "Recovery codes" in page
    device.refresh_from_db()
    assert device.confirmed
    assert RecoveryCode.objects.filter(user=member.user).count() == 10
    assert OutgoingEmail.objects.filter(kind="mfa_factor_changed", to=member.user.email).exists()
    assert AuditEvent.objects.filter(kind="mfa_factor_added", user=member.user).exists()


def test_log_in_with_the_authenticator_app_and_no_replay(client, member):
    """The app's code logs in without any mail; the same code (same time step) cannot be
    used again."""
    device = with_totp(member.user)
    password_step(client, member.user)
    page = client.get("/login/verify/").content.decode()
    assert "Open your authenticator app" in page
    assert not OutgoingEmail.objects.filter(kind="mfa_code").exists()
    code = totp_now(device)
    assert client.post("/login/verify/", {"code": code})["Location"] == "/dashboard/"
    other = Client()
    password_step(other, member.user)
    assert "not the right one" in other.post("/login/verify/", {"code": code}).content.decode()


def test_send_me_a_code_by_e_mail_is_a_fall_back_of_the_app(client, member):
    """With an app, "Send me a code by e-mail" mails a code that is accepted too."""
    with_totp(member.user)
    password_step(client, member.user)
    assert "Send me a code by e-mail" in client.get("/login/verify/").content.decode()
    client.post("/login/verify/send-code/")
    response = client.post("/login/verify/", {"code": last_code(member.user.email)})
    assert response["Location"] == "/dashboard/"


# Recovery codes ------------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once(client, member):
    """Each recovery code works once; the page says how many are left."""
    with_totp(member.user)
    codes = mfa.recovery_codes_generate(user=member.user)
    password_step(client, member.user)
    response = client.post("/login/verify/recovery/", {"code": codes[3].upper()})
    assert response["Location"] == "/dashboard/"
    assert AuditEvent.objects.filter(kind="mfa_recovery_code_used").count() == 1
    other = Client()
    password_step(other, member.user)
    page = other.post("/login/verify/recovery/", {"code": codes[3]}).content.decode()
    assert "not valid, or it was used already" in page
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # stored hashed


def test_new_recovery_codes_replace_the_old_ones(client, member):
    """ "Make new recovery codes" shows ten new ones once; the older ones stop working."""
    with_totp(member.user)
    old = mfa.recovery_codes_generate(user=member.user)
    client.force_login(member.user)
    page = client.post("/account/two-step/recovery-codes/").content.decode()
    assert page.count("<li><code>") == 10 and 'download="chorus-pro-recovery-codes.txt"' in page
    assert not mfa.recovery_code_use(user=member.user, code=old[0])
    assert OutgoingEmail.objects.filter(kind="mfa_factor_changed", to=member.user.email).exists()


def test_revoking_a_remembered_browser_is_announced(client, member):
    """Each change of the two-step settings is mailed to the login e-mail."""
    mfa.browser_remember(user=member.user, user_agent="Firefox")
    client.force_login(member.user)
    browser = RememberedBrowser.objects.get()
    client.post(f"/account/two-step/browsers/{browser.pk}/revoke/")
    assert OutgoingEmail.objects.filter(kind="mfa_factor_changed", to=member.user.email).exists()
    assert AuditEvent.objects.filter(kind="mfa_browser_revoked", user=member.user).exists()


# Remembered browsers -------------------------------------------------------------------------


def test_a_remembered_browser_skips_the_second_step_until_revoked(client, member):
    """ "Remember this browser for 30 days": the next log-in from it needs only the
    password; revoked in My account, the second step is back."""
    device = with_totp(member.user)
    password_step(client, member.user)
    response = client.post("/login/verify/", {"code": totp_now(device), "remember": "on"})
    cookie = response.cookies[mfa.REMEMBER_COOKIE]
    assert cookie["httponly"] and int(cookie["max-age"]) == 30 * 86400
    client.post("/logout/")
    response = client.post(
        "/login/", {"login-email": member.user.email, "login-password": PASSWORD}
    )
    assert response["Location"] == "/dashboard/"
    browser = RememberedBrowser.objects.get()
    assert client.cookies[mfa.REMEMBER_COOKIE].value.split(":")[1] not in browser.token_hash
    # Revoking is a change of the factors: it needs a code typed within MFA_FRESH_SECONDS,
    # which the remembered browser's log-in did not give (the e-mail fall-back does).
    revoke = f"/account/two-step/browsers/{browser.pk}/revoke/"
    assert client.post(revoke)["Location"].startswith("/login/verify/")
    client.post("/login/verify/send-code/")
    client.post("/login/verify/?next=/account/two-step/", {"code": last_code(member.user.email)})
    client.post(revoke)
    client.post("/logout/")
    password_step(client, member.user)


def test_a_forged_remember_cookie_does_nothing(client, member):
    """A cookie naming someone's browser with a wrong secret is ignored."""
    with_totp(member.user)
    mfa.browser_remember(user=member.user, user_agent="x")
    browser = RememberedBrowser.objects.get()
    client.cookies[mfa.REMEMBER_COOKIE] = f"{browser.pk}:forged"
    password_step(client, member.user)


# The settings page ---------------------------------------------------------------------------


def test_changes_need_a_fresh_second_factor(client, member, settings):
    """Adding or removing a factor more than MFA_FRESH_SECONDS after the last one passed
    asks for it again, then comes back."""
    client.force_login(member.user)
    session = client.session
    session[SESSION_FACTOR_AT] = time.time() - settings.MFA_FRESH_SECONDS - 1
    session.save()
    response = client.get("/account/two-step/app/")
    assert response["Location"] == "/login/verify/?next=%2Faccount%2Ftwo-step%2Fapp%2F"
    client.get(response["Location"])
    code = last_code(member.user.email)
    back = client.post(response["Location"], {"code": code})
    assert back["Location"] == "/account/two-step/app/"


def test_the_last_factor_cannot_be_removed(client, member):
    """With one factor, Remove is refused; with two, it works and the login e-mail is told."""
    with_totp(member.user)
    client.force_login(member.user)
    page = client.post(
        "/account/two-step/remove/", {"factor": "authenticator_app"}, follow=True
    ).content.decode()
    assert "This is your only second factor" in page
    assert TOTPDevice.objects.filter(user=member.user).exists()
    mfa.email_codes_choose(user=member.user)
    mail.outbox.clear()
    client.post("/account/two-step/remove/", {"factor": "authenticator_app"})
    assert not TOTPDevice.objects.filter(user=member.user).exists()
    assert OutgoingEmail.objects.filter(kind="mfa_factor_changed").count() == 2


def test_keep_receiving_codes_by_e_mail(client, member):
    """Choosing e-mail codes makes them the factor and shows the recovery codes."""
    client.force_login(member.user)
    page = client.get("/account/two-step/choose/").content.decode()
    for label in ("Choose your second factor", "Authenticator app", "Security key"):
        assert label in page
    page = client.post("/account/two-step/email/").content.decode()
    assert "Recovery codes" in page
    member.user.refresh_from_db()
    assert member.user.email_codes_chosen


# Support -------------------------------------------------------------------------------------


def test_admin_reset_second_factor(admin_client, admin_user):
    """ "Reset second factor": every factor and remembered browser goes, the person is mailed
    and enrols again; the action is audited."""
    user = UserFactory(active=True)
    with_totp(user)
    mfa.recovery_codes_generate(user=user)
    mfa.browser_remember(user=user, user_agent="x")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert not mfa.browsers_remembered(user).exists()
    assert AuditEvent.objects.filter(kind="mfa_reset", user=user, actor=admin_user).exists()
    assert OutgoingEmail.objects.filter(kind="mfa_factor_changed", to=user.email).exists()
    assert log_in(Client(), user.email, PASSWORD)["Location"] == "/account/two-step/choose/"


def test_the_admin_never_shows_nor_plants_an_authenticator_key(admin_client):
    """django-otp's admin of authenticator apps (keys, QR codes, adding a device with a chosen
    key) is not available: support resets a second factor instead."""
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get("/admin/otp_totp/totpdevice/add/").status_code == 404


def test_a_second_log_in_soon_after_gets_a_new_code(client, member):
    """A used code is not "waiting": logging in again minutes later mails a new one (after
    the one-a-minute limit) instead of pointing to a code already spent."""
    mfa.email_codes_choose(user=member.user)
    password_step(client, member.user)
    client.get("/login/verify/")
    client.post("/login/verify/", {"code": last_code(member.user.email)})
    client.post("/logout/")
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    password_step(client, member.user)
    client.get("/login/verify/")
    assert OutgoingEmail.objects.filter(kind="mfa_code").count() == 2
    response = client.post("/login/verify/", {"code": last_code(member.user.email)})
    assert response["Location"] == "/dashboard/"


# Found in review -------------------------------------------------------------------------------


def test_a_remembered_browser_is_not_a_fresh_factor_for_changes(client, member):
    """Logged in through a remembered browser (no code typed), changing the factors still
    asks for a second factor first."""
    device = with_totp(member.user)
    password_step(client, member.user)
    client.post("/login/verify/", {"code": totp_now(device), "remember": "on"})
    client.post("/logout/")
    response = client.post(
        "/login/", {"login-email": member.user.email, "login-password": PASSWORD}
    )
    assert response["Location"] == "/dashboard/"
    assert client.get("/account/two-step/app/")["Location"].startswith("/login/verify/?next=")


def test_a_stale_post_to_the_settings_comes_back_to_the_settings_page(client, member, settings):
    """A form posted after the freshness ran out leads to the second step, then back to the
    settings page (never to a GET of a POST-only address)."""
    client.force_login(member.user)
    session = client.session
    session[SESSION_FACTOR_AT] = time.time() - settings.MFA_FRESH_SECONDS - 1
    session.save()
    response = client.post("/account/two-step/email/")
    assert response["Location"] == "/login/verify/?next=%2Faccount%2Ftwo-step%2F"


@pytest.mark.parametrize("cookie", ["²:x", "³4:x", ":", "x" * 300, "12:"])
def test_a_malformed_remember_cookie_is_ignored(client, member, cookie):
    """Odd cookie values (Unicode digits, empty parts, too long) never cause an error."""
    with_totp(member.user)
    client.cookies[mfa.REMEMBER_COOKIE] = cookie
    password_step(client, member.user)


def test_a_deeply_nested_body_to_the_key_log_in_is_refused_cleanly(client, member):
    """A JSON bomb posted to the security-key endpoint is answered, not a server error."""
    password_step(client, member.user)
    response = client.post("/login/verify/key/", "[" * 50000, content_type="application/json")
    assert response.status_code < 500


def test_a_password_change_forgets_the_remembered_browsers(client, member):
    """After a new password, no browser skips the second step any more."""
    mfa.browser_remember(user=member.user, user_agent="x")
    client.force_login(member.user)
    client.post(
        "/account/password/",
        {
            "current_password": PASSWORD,
            "password": "Nouveau-Mot2Passe!",
            "confirmation": "Nouveau-Mot2Passe!",
        },
    )
    assert not mfa.browsers_remembered(member.user).exists()


def test_wrong_codes_are_capped_per_day_too(client, member, settings):
    """Past MFA_FAILURES_PER_DAY wrong codes in 24 hours the second step refuses even the
    right code, whatever the 15-minute window says."""
    settings.MFA_FAILURES_PER_15_MINUTES = 1000
    settings.MFA_FAILURES_PER_DAY = 3
    password_step(client, member.user)
    client.get("/login/verify/")
    code = last_code(member.user.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        client.post("/login/verify/", {"code": wrong})
    assert client.post("/login/verify/", {"code": code}).status_code == 429
