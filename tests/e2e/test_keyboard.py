"""The whole registration with the keyboard only: Tab and Shift+Tab, Space, Enter."""

from playwright.sync_api import expect

from tests import journey
from tests.e2e import support
from tests.e2e.support import focused, tab_to

pytestmark = support.MARKS


def _type(page, text: str) -> None:
    page.keyboard.type(text)


def _outline_visible(page) -> bool:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle !== 'none'")


def test_registration_and_activation_with_the_keyboard_only(portal, page, shot, smtp_server):
    """Every step can be reached, filled and sent from the keyboard, with a visible focus."""
    email = "keyboard.user@example.org"
    page.goto(portal.url + "/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content", focused(page)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main", focused(page)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_email", focused(page)
    assert _outline_visible(page)
    _type(page, email)
    tab_to(page, "#id_siret")
    _type(page, journey.COMPANY_SIRET)
    tab_to(page, "#id_email", backwards=True)
    expect(page.locator("#id_email")).to_have_value(email)
    tab_to(page, "#id_siret")
    shot("step 1 typed")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Personal information and structure")
    tab_to(page, "#id_first_name")
    _type(page, "Kim")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_last_name", focused(page)
    _type(page, "Clavier")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "id_first_name", focused(page)
    shot("step 2 typed")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome ATELIERS DU PONT NEUF")
    tab_to(page, "[role=switch][value=commitments]")
    assert _outline_visible(page)
    commitments = page.get_by_role("switch", name="Commitments")
    expect(commitments).not_to_be_checked()
    page.keyboard.press("Space")
    expect(commitments).to_be_checked()
    tab_to(page, "main button[type=submit]")
    shot("step 3 switched with Space")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("activation e-mail has been sent")
    link = support.activation_link_in(support.wait_for_mail(smtp_server, email))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("User account activation")
    tab_to(page, "#id_password")
    _type(page, support.PASSWORD)
    expect(page.get_by_role("meter", name="Password complexity")).to_have_js_property("value", 3)
    tab_to(page, "#id_confirmation")
    _type(page, support.PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_secret_question", focused(page)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_secret_question")).to_have_value("pet")
    page.keyboard.press("Tab")  # the custom question stays hidden, out of the tab order
    assert focused(page)["id"] == "id_answer", focused(page)
    _type(page, support.ANSWER)
    shot("activation typed")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Your account has been activated")
    tab_to(page, "main a[href='/login/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    tab_to(page, "#id_login-email")
    _type(page, email)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_login-password", focused(page)
    _type(page, support.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    support.second_step(page, portal.url, email, smtp_server=smtp_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Kim Clavier")
    expect(page.get_by_role("navigation", name="Work areas")).to_contain_text("Commitments")
    shot("dashboard reached")
