"""The French version, chosen with the header's "Français" button, from step 1 to the
dashboard. The French catalogue may still be incomplete: stable selectors only (ids, names,
roles), and no French sentence asserted."""

from playwright.sync_api import expect

from accounts.models import User
from tests import journey
from tests.e2e import support

pytestmark = support.MARKS


def _submit(page, form: str = "main form[method=post]") -> None:
    page.locator(f"{form} button[type=submit]").first.click()


def test_registration_in_french(portal, page, shot, smtp_server):
    """The language chosen in the header stays through registration, activation and log-in,
    and becomes the account's language."""
    email = "camille.dubois@example.org"
    page.goto(portal.url + "/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-current", "true")
    shot("home in French")

    page.locator("#id_email").fill(email)
    page.locator("#id_siret").fill(journey.PARIS_SIRET)
    _submit(page, "form[action='/register/']")
    expect(page).to_have_url(portal.url + "/register/details/")
    expect(html).to_have_attribute("lang", "fr")
    page.locator("#id_first_name").fill("Camille")
    page.locator("#id_last_name").fill("Dubois")
    shot("step 2 in French")
    _submit(page)

    expect(page).to_have_url(portal.url + "/register/areas/")
    expect(html).to_have_attribute("lang", "fr")
    switch = page.get_by_role("switch", name="Engagements")  # the catalogue's French name
    switch.check()
    shot("step 3 in French")
    _submit(page)

    expect(page).to_have_url(portal.url + "/register/sent/")
    expect(html).to_have_attribute("lang", "fr")
    message = support.wait_for_mail(smtp_server, email)
    page.goto(support.activation_link_in(message))
    expect(page).to_have_url(portal.url + "/activate/")
    expect(html).to_have_attribute("lang", "fr")
    page.locator("#id_password").fill(support.PASSWORD)
    page.locator("#id_confirmation").fill(support.PASSWORD)
    page.locator("#id_secret_question").select_option("pet")
    page.locator("#id_answer").fill(support.ANSWER)
    shot("activation in French")
    _submit(page)

    expect(page).to_have_url(portal.url + "/activate/done/")
    expect(html).to_have_attribute("lang", "fr")
    page.locator("main a[href='/login/']").click()
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill(support.PASSWORD)
    _submit(page)
    expect(page).to_have_url(portal.url + "/login/verify/")
    expect(html).to_have_attribute("lang", "fr")
    shot("second step in French")
    support.second_step(page, portal.url, email, smtp_server=smtp_server)
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("navigation").get_by_role("link", name="Engagements")).to_be_visible()
    shot("dashboard in French")
    assert User.objects.get(email=email).preferred_language == "fr"
