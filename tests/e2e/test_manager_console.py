"""The manager's console in a browser: a manager invites a colleague, who activates and then
sees only the areas granted, read-only where given in Consultation."""

import re

from playwright.sync_api import expect

from tests.e2e import support
from tests.factories import PASSWORD, MembershipFactory

pytestmark = support.MARKS


def test_manager_invites_a_colleague_who_sees_only_the_areas_granted(
    portal, new_page, shot, page, smtp_server, axe
):
    """Invite with Issued invoices in Consultation and Commitments in Modification; the
    colleague activates, logs in, and finds those two areas, the first one read-only."""
    manager = MembershipFactory(
        primary_manager=True,
        structure__name="Ateliers du Pont Neuf",
        user__email="claire@example.org",
        areas=["issued-invoices", "commitments", "work-invoices", "sent-requests"],
    )
    colleague = "ines.moreau@example.org"

    manager_page = new_page()
    support.log_in(manager_page, portal.url, manager.user.email, PASSWORD, smtp_server=smtp_server)
    manager_page.get_by_role("region", name="Manager activities").get_by_role(
        "link", name="Invite a person"
    ).click()
    expect(manager_page.get_by_role("heading", level=1)).to_have_text("Invite a person")
    axe.check(manager_page, "invite")
    support.textbox(manager_page, "Login e-mail").fill(colleague)
    support.textbox(manager_page, "First name").fill("Inès")
    manager_page.get_by_role("combobox", name="Issued invoices").select_option("consultation")
    manager_page.get_by_role("combobox", name="Commitments").select_option("modification")
    manager_page.get_by_role("combobox", name="Work invoices").select_option("")
    support.textbox(manager_page, "Last name").fill("Moreau")
    support.textbox(manager_page, "Last name").press("Enter")  # sent from the keyboard
    expect(manager_page.get_by_role("status")).to_contain_text(f"{colleague} is invited")
    row = manager_page.get_by_role("row", name=re.compile("Inès Moreau"))
    expect(row).to_contain_text("Awaiting account activation")
    expect(row).to_contain_text("Issued invoices (Consultation)")
    axe.check(manager_page, "members")
    shot("members table", manager_page)
    row.get_by_role("link", name="Inès Moreau").click()
    expect(manager_page.get_by_role("button", name="Resend the activation e-mail")).to_be_visible()
    axe.check(manager_page, "member")
    manager_page.get_by_role("link", name="History").click()
    expect(manager_page.get_by_role("main")).to_contain_text("Member invited")
    axe.check(manager_page, "history")
    manager_page.get_by_role("link", name="Join requests").click()
    axe.check(manager_page, "join requests")

    invitation = support.wait_for_mail(
        smtp_server,
        colleague,
        subject="You are invited to join Ateliers du Pont Neuf on Chorus Pro",
    )
    support.activate(page, support.activation_link_in(invitation))
    support.log_in(page, portal.url, colleague, smtp_server=smtp_server)
    row = page.get_by_role("row", name=re.compile("Ateliers du Pont Neuf"))
    expect(row).to_contain_text("Active")
    tabs = page.get_by_role("navigation", name="Work areas")
    expect(tabs.get_by_role("link", name=re.compile("Issued invoices"))).to_contain_text(
        "Consultation"
    )
    expect(tabs.get_by_role("link", name="Commitments")).to_be_visible()
    expect(tabs.get_by_role("link", name=re.compile("Work invoices"))).to_have_count(0)
    tabs.get_by_role("link", name=re.compile("Issued invoices")).click()
    expect(page.get_by_role("main")).to_contain_text("Consultation: you can see this area")
    axe.check(page, "read-only area")
    shot("colleague sees a read-only area")
    page.get_by_role("navigation", name="Work areas").get_by_role(
        "link", name="Commitments"
    ).click()
    expect(page.get_by_role("main")).not_to_contain_text("Consultation: you can see this area")
    axe.assert_clean()
