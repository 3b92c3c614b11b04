""" "Find my company" in a browser: the combobox with the keyboard, and axe on it open."""

from playwright.sync_api import expect

from tests.e2e import support
from tests.structures import sirene_files

pytestmark = support.MARKS


def test_find_my_company_with_the_keyboard(live_server, page, axe, shot, tmp_path):
    """Typing a name lists establishments; Down then Enter fills the SIRET; no axe violation."""
    sirene_files.load(sirene_files.write(tmp_path, rows=200))
    company = next(
        c
        for c in sirene_files.companies(rows=200)
        if c.unit["denominationUniteLegale"]
        and c.unit["statutDiffusionUniteLegale"] == "O"
        and c.establishments[0]["etatAdministratifEtablissement"] == "A"
    )
    page.goto(live_server.url + "/")
    page.get_by_text("Don't know your SIRET? Search by name").click()
    search = page.locator("#find-q")
    search.fill(company.unit["denominationUniteLegale"].lower())
    first_option = page.locator("#find-results [role=option]").first
    expect(first_option).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#find-status")).to_contain_text("establishments found")
    shot("find my company open")
    assert axe.check(page, "find my company open") == []
    search.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", "find-option-0")
    expect(first_option).to_have_attribute("aria-selected", "true")
    chosen = first_option.inner_text()
    search.press("Enter")
    siret = page.locator("#id_siret").input_value()
    assert len(siret) == 14 and siret in chosen
    expect(page.locator("#id_siret")).to_be_focused()
    expect(search).to_have_attribute("aria-expanded", "false")
