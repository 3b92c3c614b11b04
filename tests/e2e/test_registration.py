"""Registration in a real browser: steps 1 to 3, the mail, activation, log-in and work areas."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import OneTimeToken
from outbox.models import OutgoingEmail
from tests import journey
from tests.e2e import support
from tests.services import wait_for

pytestmark = support.MARKS

PASSWORD = "facturespubliques-2026"


def test_register_activate_log_in_and_open_a_work_area(portal, page, shot, smtp_server):
    """A new supplier registers, activates from the mail, logs in and opens a work area."""
    email = "claire.martin@example.org"
    support.start_registration(page, portal.url, email, journey.COMPANY_SIRET)
    shot("step 2 prefilled from INSEE")
    expect(support.textbox(page, "Company name")).to_have_value("ATELIERS DU PONT NEUF")
    support.fill_person(page, "Claire", "Martin")
    support.validate_step(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome ATELIERS DU PONT NEUF")
    issued = page.get_by_role("switch", name="Issued invoices")
    expect(issued).to_be_checked()
    expect(page.get_by_role("switch", name="Sent requests")).to_be_disabled()
    shot("step 3 work areas")
    support.validate_step(page)

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"an activation e-mail has been sent to {email}"
    )
    shot("confirmation")
    message = support.wait_for_mail(smtp_server, email)
    assert message["Subject"] == "Activate your Chorus Pro account"
    link = support.activation_link_in(message)

    page.goto(link)
    expect(page).to_have_url(portal.url + "/activate/")  # the secret left the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("User account activation")
    meter = page.get_by_role("meter", name="Password complexity")
    expect(meter).to_have_js_property("value", 0)
    expect(page.locator("#password-meter-text")).to_have_attribute("aria-live", "polite")
    expect(meter).to_have_accessible_description(re.compile(r"^Type a password"))
    password = support.textbox(page, "Password")
    password.press_sequentially("facture")
    expect(meter).to_have_js_property("value", 1)  # only "at most 128 characters" holds
    expect(meter).to_have_accessible_description(re.compile(r"^Too weak.*\(1/3\)$"))
    shot("password too weak")
    password.press_sequentially("spubliques")
    expect(meter).to_have_js_property("value", 2)  # long enough, one kind of characters
    expect(meter).to_have_accessible_description(re.compile(r"^Too weak.*\(2/3\)$"))
    password.press_sequentially("-2026")
    expect(meter).to_have_js_property("value", 3)
    expect(meter).to_have_accessible_description(re.compile(r"^Strong enough.*\(3/3\)$"))
    shot("password strong enough")
    support.textbox(page, "Confirmation").fill(PASSWORD)
    question = page.get_by_role("combobox", name="Secret question")
    question.select_option(label="Write my own question")
    custom = support.textbox(page, "Your own question")
    expect(custom).to_be_visible()
    custom.fill("Name of the boat on the office wall?")
    support.textbox(page, "Answer").fill("La Belle Garonne")
    shot("secret question")
    support.validate_step(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your account has been activated, you can now issue invoices to your public client."
    )
    shot("activated")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    support.textbox(page, "Login email").fill(email)
    support.textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    shot("second step")
    support.second_step(page, portal.url, email, smtp_server=smtp_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Claire Martin")
    structures = page.get_by_role("region", name="My structures")
    expect(structures.get_by_role("row", name=re.compile("ATELIERS DU PONT NEUF"))).to_contain_text(
        "Primary manager"
    )
    shot("dashboard")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    shot("my account")
    page.get_by_role("link", name="My work areas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work areas")
    commitments = page.get_by_role("switch", name="Commitments")
    expect(commitments).not_to_be_checked()
    commitments.check()
    shot("work area switched on")
    support.validate_step(page)
    expect(page.get_by_role("status")).to_contain_text("Your work areas have been updated.")
    expect(page.get_by_role("switch", name="Commitments")).to_be_checked()
    page.reload()
    expect(page.get_by_role("switch", name="Commitments")).to_be_checked()
    shot("work areas saved")
    page.get_by_role("link", name="Back to my dashboard").click()
    tabs = page.get_by_role("navigation", name="Work areas")
    expect(tabs.get_by_role("link", name="Commitments")).to_be_visible()


def test_expired_link_offers_a_new_one_that_works(portal, page, shot, smtp_server):
    """An expired activation link leads to "Send me a new link"; the new mail's link works."""
    email = "late.reader@example.org"
    support.start_registration(page, portal.url, email, journey.PARIS_SIRET)
    support.fill_person(page, "Louis", "Lent")
    support.validate_step(page)
    support.validate_step(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("activation e-mail has been sent")
    first = support.activation_link_in(support.wait_for_mail(smtp_server, email))
    # The worker moves the link's clock to the send time: expire it only once that is saved.
    assert wait_for(
        lambda: OutgoingEmail.objects.filter(to=email, status=OutgoingEmail.Status.SENT).exists()
    )
    expired = OneTimeToken.objects.filter(
        user__email=email, purpose=OneTimeToken.Purpose.ACTIVATION
    ).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
    assert expired == 1

    page.goto(first)
    expect(page.get_by_role("heading", level=1)).to_have_text("This activation link has expired")
    shot("link expired")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    shot("new link sent")
    second = support.activation_link_in(support.wait_for_mail(smtp_server, email, count=2))
    assert second != first

    page.goto(first)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("User account activation")
    support.activate(page, second)
    shot("activated with the new link")


def test_option_button_and_non_diffusible_box(portal, page, shot):
    """Option "+" reveals the contact e-mail (aria-expanded follows); "INSEE not diffusible"
    hides the address fields and shows them again when unticked."""
    support.start_registration(page, portal.url, "option@example.org", journey.COMPANY_SIRET)
    option = page.get_by_role("button", name="Option Use another contact email")
    contact = support.textbox(page, "Contact email")  # role locators see only what is shown
    expect(option).to_have_attribute("aria-expanded", "false")
    expect(option).to_have_attribute("aria-controls", "contact-email-group")
    expect(page.locator("#id_contact_email")).to_be_hidden()
    expect(contact).to_have_count(0)
    option.click()
    expect(option).to_have_attribute("aria-expanded", "true")
    expect(contact).to_be_visible()
    expect(contact).to_be_focused()
    expect(contact).to_have_value("option@example.org")
    shot("contact email revealed")
    option.click()
    expect(option).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#id_contact_email")).to_be_hidden()
    expect(contact).to_have_count(0)

    box = page.get_by_role("checkbox", name="INSEE not diffusible")
    fields = [support.textbox(page, name) for name in ("Address", "Postal code", "City")]
    for field in fields:
        expect(field).to_be_visible()
    box.check()
    expect(page.locator("#address-fields")).to_be_hidden()
    for field in fields:
        expect(field).to_have_count(0)
    shot("address hidden when not diffusible")
    box.uncheck()
    for field in fields:
        expect(field).to_be_visible()
    expect(fields[0]).to_have_value("12 bis Quai de la Garonne")
