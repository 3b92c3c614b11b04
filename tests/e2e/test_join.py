"""Joining a structure already on the portal, in two browsers: the newcomer and its manager."""

import re

from playwright.sync_api import expect

from tests import journey
from tests.e2e import support
from tests.factories import PASSWORD, MembershipFactory

pytestmark = support.MARKS


def test_second_person_joins_and_the_primary_manager_approves(
    portal, new_page, shot, page, smtp_server
):
    """A colleague registers with the same SIRET; the primary manager approves the request in
    "Manager activities"; the colleague is told by mail and finds the structure active."""
    manager = MembershipFactory(
        primary_manager=True,
        structure__siret=journey.COMPANY_SIRET,
        structure__name="Ateliers du Pont Neuf",
        user__email="claire@example.org",
        user__first_name="Claire",
        user__last_name="Martin",
    )
    newcomer = "nadia.bernard@example.org"

    support.start_registration(page, portal.url, newcomer, journey.COMPANY_SIRET)
    expect(page.get_by_role("main")).to_contain_text(
        "“Ateliers du Pont Neuf” is already registered on Chorus Pro."
    )
    expect(support.textbox(page, "Company name")).to_have_count(0)
    shot("step 2 joins an existing structure")
    support.fill_person(page, "Nadia", "Bernard")
    support.validate_step(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome Ateliers du Pont Neuf")
    support.validate_step(page)
    link = support.activation_link_in(support.wait_for_mail(smtp_server, newcomer))
    support.activate(page, link)
    shot("newcomer activated")
    support.log_in(page, portal.url, newcomer, smtp_server=smtp_server)
    row = page.get_by_role("row", name=re.compile("Ateliers du Pont Neuf"))
    expect(row).to_contain_text("Join request pending")
    expect(page.get_by_role("main")).to_contain_text("waiting for its manager's decision")
    shot("newcomer waits for the decision")

    request_mail = support.wait_for_mail(smtp_server, "claire@example.org")
    assert "Nadia Bernard" in support.text_of(request_mail)

    manager_page = new_page()
    support.log_in(manager_page, portal.url, manager.user.email, PASSWORD, smtp_server=smtp_server)
    activities = manager_page.get_by_role("link", name="Manager activities (1)")
    shot("manager dashboard", manager_page)
    activities.click()
    expect(manager_page.get_by_role("heading", level=1)).to_have_text("Manager activities")
    request = manager_page.get_by_role("article", name=re.compile("Nadia Bernard"))
    expect(request).to_contain_text(newcomer)
    shot("pending request", manager_page)
    request.get_by_role("button", name="Approve").click()
    expect(manager_page.get_by_role("status")).to_contain_text(
        "Nadia Bernard has joined the structure."
    )
    expect(manager_page.get_by_role("main")).to_contain_text("No request is waiting.")
    shot("request approved", manager_page)

    subject = "Your request to join Ateliers du Pont Neuf was approved"
    decision = support.wait_for_mail(smtp_server, newcomer, subject=subject)
    assert f"{portal.url}/dashboard/" in support.text_of(decision)

    page.reload()
    expect(row).to_contain_text("Active")
    expect(row.get_by_role("link", name="Ateliers du Pont Neuf")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("waiting for its manager's decision")
    shot("newcomer sees the structure active")
