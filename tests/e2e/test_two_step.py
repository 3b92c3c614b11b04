"""Two-step log-in in a real browser: the code mailed through the real SMTP server, the
authenticator app (codes computed with pyotp from the setup key the page shows), recovery
codes, a remembered browser, the keyboard, French, and axe-core on every page of it."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e import support
from tests.e2e.support import focused, tab_to
from tests.factories import PASSWORD, MembershipFactory

pytestmark = support.MARKS

CODE_SUBJECT = "Your Chorus Pro verification code"


def _person(email: str, language: str = "en"):
    return MembershipFactory(
        primary_manager=True, user__email=email, user__preferred_language=language
    ).user


def _verify_button(page):
    return page.get_by_role("main").get_by_role("button", name="Verify", exact=True)


def _log_out(page, base: str) -> None:
    page.locator("header form[action='/logout/'] button").click()
    expect(page).to_have_url(base + "/")


def _setup_key(page) -> str:
    """The key shown as text next to the QR code, without the spaces between its groups."""
    shown = page.get_by_label("Setup key", exact=True).inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", shown), shown
    return shown.replace(" ", "")


def test_email_code_then_authenticator_app_then_recovery_codes(portal, page, shot, smtp_server):
    """A first log-in with the mailed code, the authenticator app enrolled from its setup
    key, ten recovery codes; then a log-in with the app, one with a recovery code, and the
    same recovery code refused the second time."""
    base = portal.url
    email = "two.step@example.org"
    _person(email)

    support.log_in_password(page, base, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    expect(page.get_by_role("main")).to_contain_text(f"A 6-digit code has been sent to {email}.")
    shot("second step with the code mailed")
    mail = support.wait_for_mail(smtp_server, email, subject=CODE_SUBJECT)
    code = support.VERIFICATION_CODE.search(support.text_of(mail)).group(1)
    support.textbox(page, "Verification code").fill(code)
    _verify_button(page).click()

    expect(page).to_have_url(base + "/account/two-step/choose/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your second factor")
    for choice in ("Authenticator app", "Security key", "Keep receiving codes by e-mail"):
        expect(page.get_by_role("heading", level=2, name=choice)).to_be_visible()
    shot("choose your second factor")
    page.get_by_role("link", name="Use an authenticator app").click()

    expect(page).to_have_url(base + "/account/two-step/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app")
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    key = _setup_key(page)
    shot("authenticator app")
    support.textbox(page, "Verification code").fill(pyotp.TOTP(key).now())
    _verify_button(page).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    expect(page.get_by_role("status")).to_contain_text(
        "Your authenticator app is now your second factor."
    )
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes), codes
    download = page.get_by_role("link", name="Download the codes (text file)")
    expect(download).to_have_attribute("download", "chorus-pro-recovery-codes.txt")
    shot("recovery codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page).to_have_url(base + "/dashboard/")
    _log_out(page, base)

    # With the app: the code of the next time step (the current one was used at enrolment).
    mails = len(support.mails_to(smtp_server, email))
    support.log_in_password(page, base, email)
    expect(page.get_by_role("main")).to_contain_text("Open your authenticator app")
    support.textbox(page, "Verification code").fill(pyotp.TOTP(key).at(time.time() + 30))
    shot("second step with the app")
    _verify_button(page).click()
    expect(page).to_have_url(base + "/dashboard/")
    # No code was mailed to someone who has the app (the mail about the new factor was).
    assert all(m["Subject"] != CODE_SUBJECT for m in support.mails_to(smtp_server, email)[mails:])
    _log_out(page, base)

    # With a recovery code, once.
    support.log_in_password(page, base, email)
    page.get_by_role("link", name="Use a recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use a recovery code")
    support.textbox(page, "Recovery code").fill(codes[0])
    shot("recovery code typed")
    _verify_button(page).click()
    expect(page).to_have_url(base + "/dashboard/")
    expect(page.get_by_role("status")).to_contain_text("You have 9 left")
    _log_out(page, base)

    support.log_in_password(page, base, email)
    page.get_by_role("link", name="Use a recovery code").click()
    support.textbox(page, "Recovery code").fill(codes[0])
    _verify_button(page).click()
    expect(page).to_have_url(base + "/login/verify/recovery/")
    expect(page.get_by_role("alert")).to_contain_text(
        "This recovery code is not valid, or it was used already."
    )
    shot("recovery code used twice")


def test_second_step_with_the_keyboard_and_a_remembered_browser(
    portal, page, new_page, shot, smtp_server
):
    """The code is typed and sent from the keyboard, "Remember this browser for 30 days"
    ticked with Space; the next log-in from that browser skips the second page, another
    browser still gets it."""
    base = portal.url
    email = "keyboard.two.step@example.org"
    _person(email)

    support.log_in_password(page, base, email)
    code = support.latest_code(smtp_server, email)
    tab_to(page, "#id_code")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type(code)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_remember", focused(page)
    remember = page.get_by_role("checkbox", name="Remember this browser for 30 days")
    expect(remember).not_to_be_checked()
    page.keyboard.press("Space")
    expect(remember).to_be_checked()
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "id_code", focused(page)
    shot("code typed and browser to remember")
    page.keyboard.press("Enter")

    expect(page).to_have_url(base + "/account/two-step/choose/")
    tab_to(page, "form[action='/account/two-step/email/'] button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    tab_to(page, "main a[href='/dashboard/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(base + "/dashboard/")
    _log_out(page, base)

    page.goto(base + "/login/")
    support.textbox(page, "Login email").fill(email)
    support.textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/dashboard/")
    shot("remembered browser skips the second page")

    page.goto(base + "/account/two-step/")
    browsers = page.get_by_role("region", name="Remembered browsers")
    expect(browsers.get_by_role("row")).to_have_count(2)  # the header and this browser
    shot("two-step settings")

    elsewhere = new_page()
    support.log_in_password(elsewhere, base, email)
    expect(elsewhere.get_by_role("heading", level=1)).to_have_text("Two-step verification")


def test_second_step_and_choice_in_french(portal, page, shot, smtp_server):
    """Chosen in the header, French holds on the second page and on the choice of a factor."""
    base = portal.url
    email = "deux.etapes@example.org"
    _person(email, language="fr")
    html = page.locator("html")

    page.goto(base + "/")
    page.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    page.goto(base + "/login/")
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill(PASSWORD)
    page.locator("main form[method=post] button[type=submit]").first.click()

    expect(page).to_have_url(base + "/login/verify/")
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification en deux étapes")
    expect(page.get_by_role("main")).to_contain_text(
        f"Un code à 6 chiffres a été envoyé à {email}."
    )
    expect(support.textbox(page, "Code de vérification")).to_be_visible()
    expect(
        page.get_by_role("checkbox", name="Se souvenir de ce navigateur pendant 30 jours")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Utiliser un code de secours")).to_be_visible()
    expect(page.get_by_role("button", name="M'envoyer un nouveau code")).to_be_visible()
    shot("second step in French")
    mail = support.wait_for_mail(smtp_server, email)
    assert mail["Subject"] == "Votre code de vérification Chorus Pro"
    code = support.VERIFICATION_CODE.search(support.text_of(mail)).group(1)
    support.textbox(page, "Code de vérification").fill(code)
    page.get_by_role("main").get_by_role("button", name="Vérifier", exact=True).click()

    expect(page).to_have_url(base + "/account/two-step/choose/")
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisissez votre second facteur")
    for choice in (
        "Application d'authentification",
        "Clé de sécurité",
        "Continuer à recevoir des codes par e-mail",
    ):
        expect(page.get_by_role("heading", level=2, name=choice)).to_be_visible()
    shot("choice in French")
    page.get_by_role("link", name="Utiliser une application d'authentification").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Clé de configuration", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Code QR")).to_be_visible()
    shot("authenticator app in French")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_two_step_pages_pass_axe(language, portal, page, shot, axe, smtp_server):
    """The second step, the recovery code page, the choice, the authenticator app, the
    recovery codes, the two-step settings and the lock-out page, with and without form
    errors: no violation of impact "serious" or "critical"."""
    base = portal.url
    email = f"axe.two.step.{language}@example.org"
    _person(email, language=language)

    def audit(label: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        axe.check(page, label)
        shot(label)

    def submit() -> None:
        page.locator("main form[method=post]:has(#id_code) button[type=submit]").click()

    page.goto(base + "/")
    if language == "fr":
        page.get_by_role("button", name="Français").click()
    page.goto(base + "/login/")
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill(PASSWORD)
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page).to_have_url(base + "/login/verify/")
    audit("second step")
    page.locator("#id_code").fill("12345")  # not 6 digits: refused before any check
    submit()
    expect(page.locator("#error-summary")).to_be_visible()
    audit("second step with errors")

    page.locator("main a[href^='/login/verify/recovery/']").click()
    expect(page).to_have_url(base + "/login/verify/recovery/")
    audit("recovery code")
    submit()
    expect(page.locator("#error-summary")).to_be_visible()
    audit("recovery code with errors")

    page.goto(base + "/login/verify/")
    page.locator("#id_code").fill(support.latest_code(smtp_server, email))
    page.locator("#id_remember").check()
    submit()
    expect(page).to_have_url(base + "/account/two-step/choose/")
    audit("choose your second factor")

    page.locator("main a[href='/account/two-step/app/']").click()
    expect(page).to_have_url(base + "/account/two-step/app/")
    audit("authenticator app")
    submit()
    expect(page.locator("#error-summary")).to_be_visible()
    audit("authenticator app with errors")
    key = page.locator("#setup-key").inner_text().replace(" ", "")
    page.locator("#id_code").fill(pyotp.TOTP(key).now())
    submit()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    audit("recovery codes")

    page.goto(base + "/account/two-step/")
    expect(page.locator("main table")).to_have_count(1)  # the remembered browser
    audit("two-step settings")

    # Too many wrong codes: the lock-out page (a browser not remembered any more).
    page.locator("header form[action='/logout/'] button").click()
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(base + "/login/")
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill(PASSWORD)
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page).to_have_url(base + "/login/verify/")
    totp = pyotp.TOTP(key)
    valid = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    wrong = next(
        c
        for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666")
        if c not in valid
    )
    for _ in range(5):
        if page.locator("#id_code").count() == 0:
            break
        page.locator("#id_code").fill(wrong)
        submit()
        page.wait_for_load_state("load")
    expect(page.locator("main a[href='/login/']")).to_be_visible()
    expect(page.locator("#id_code")).to_have_count(0)
    audit("too many wrong codes")

    axe.assert_clean()
