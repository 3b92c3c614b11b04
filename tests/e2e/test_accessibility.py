"""axe-core on every page of the journeys, in English and in French: no serious or critical
violation. Pages are reached with stable selectors (ids, names, roles) so that the French run
does not depend on the state of the French catalogue."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from structures.models import Structure
from tests import journey
from tests.e2e import support
from tests.factories import MembershipFactory

pytestmark = support.MARKS


def _submit(page, form: str = "main form[method=post]") -> None:
    page.locator(f"{form} button[type=submit]").first.click()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_passes_axe(language, portal, page, shot, axe, smtp_server):
    """Registration, activation, log-in, account, manager and error pages, with and without
    form errors: no violation of impact "serious" or "critical"."""
    base = portal.url
    email = f"audit.{language}@example.org"

    def audit(label: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        axe.check(page, label)
        shot(label)

    page.goto(base + "/")
    if language == "fr":
        page.get_by_role("button", name="Français").click()
    audit("home")

    _submit(page, "form[action='/register/']")  # nothing typed: the errors are shown
    expect(page.locator("#error-summary")).to_be_visible()
    audit("step 1 with errors")
    page.locator("#id_email").fill(email)
    page.locator("#id_siret").fill(journey.COMPANY_SIRET)
    _submit(page, "form[action='/register/']")
    expect(page).to_have_url(base + "/register/details/")
    audit("step 2")
    page.locator("#id_non_diffusible").check()
    page.locator("button[aria-controls=contact-email-group]").click()
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("step 2 with errors")
    page.locator("#id_first_name").fill("Alex")
    page.locator("#id_last_name").fill("Audit")
    page.locator("#id_non_diffusible").uncheck()
    _submit(page)
    expect(page).to_have_url(base + "/register/areas/")
    audit("step 3")
    _submit(page)
    expect(page).to_have_url(base + "/register/sent/")
    audit("confirmation")

    link = support.activation_link_in(support.wait_for_mail(smtp_server, email))
    page.goto(link)
    expect(page).to_have_url(base + "/activate/")
    audit("activation")
    page.locator("#id_password").fill("short")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("activation with errors")
    page.locator("#id_password").fill(support.PASSWORD)
    page.locator("#id_confirmation").fill(support.PASSWORD)
    page.locator("#id_secret_question").select_option("custom")
    page.locator("#id_custom_question").fill("Name of the boat on the wall?")
    page.locator("#id_answer").fill(support.ANSWER)
    _submit(page)
    expect(page).to_have_url(base + "/activate/done/")
    audit("activated")

    page.goto(base + "/activate/not-a-real-link/")
    audit("activation link invalid")

    page.goto(base + "/login/")
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill("not the password")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("login with errors")
    page.locator("#id_login-password").fill(support.PASSWORD)
    _submit(page)
    support.second_step(page, base, email, smtp_server=smtp_server)
    # A colleague asks to join, so that the manager pages show a request.
    structure = Structure.objects.get(siret=journey.COMPANY_SIRET)
    MembershipFactory(requested=True, structure=structure, user__email="colleague@example.org")
    page.reload()
    audit("dashboard")
    page.goto(base + "/dashboard/areas/issued-invoices/")
    audit("work area tab")
    page.goto(base + "/account/")
    audit("my account")
    page.locator("#id_first_name").fill("")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("my account with errors")
    page.goto(base + "/account/password/")
    audit("change password")
    page.goto(base + "/account/secret-question/")
    audit("change secret question")
    page.goto(base + "/account/work-areas/")
    audit("work areas")
    page.goto(base + "/structure/requests/")
    expect(page.locator("article")).to_have_count(1)
    audit("manager activities")
    page.goto(base + f"/structures/{structure.pk}/")
    audit("structure")
    page.goto(base + "/structures/999999/")
    audit("403 forbidden")

    page.goto(base + "/help/")
    audit("help")
    page.goto(base + "/help/ask/")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("ask a question with errors")
    page.goto(base + "/no-such-page/")
    audit("404 not found")

    page.locator("header form[action='/logout/'] button").click()
    expect(page).to_have_url(base + "/")
    page.goto(base + "/password/forgot/")
    audit("forgot password")
    page.goto(base + "/login/")
    page.context.clear_cookies()  # the form's CSRF cookie is gone: the site's 403 page
    if language == "fr":
        page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page.locator("#id_login-email").fill(email)
    page.locator("#id_login-password").fill(support.PASSWORD)
    _submit(page)
    expect(page.locator("h1")).to_be_visible()
    audit("403 form expired")

    assert User.objects.get(email=email).is_active
    axe.assert_clean()
