"""Registering one supplier of each identifier type in a real browser, the hint following
the chosen type."""

from django.core.cache import cache
from playwright.sync_api import expect

from structures.identifiers import IdentifierType
from structures.models import Structure
from tests import journey
from tests.e2e import support

pytestmark = support.MARKS

# (type's label, number, (country, name) outside the EU, what step 2 still needs typed)
SUPPLIERS = [
    ("SIRET", journey.SECONDARY_SIRET, None, False),
    ("EU VAT number (outside France)", "BE 0403.170.701", None, False),
    ("Outside the EU", None, ("US", "Acme Corp."), True),
    ("RIDET (New Caledonia)", "1234567.001", None, True),
    ("TAHITI number (French Polynesia)", "A12345 001", None, True),
    ("Private individual", None, None, True),
    ("Being registered", None, None, True),
]


def test_one_supplier_of_each_type_registers(live_server, page, shot):
    """Each type: the hint and fields follow the select, step 2 asks what the type needs,
    and the registration ends on the confirmation; the structures carry their types."""
    for index, (label, number, outside, address_needed) in enumerate(SUPPLIERS):
        cache.clear()  # seven look-ups from one IP in a minute: past step 1's per-IP budget
        page.goto(live_server.url + "/")
        new = page.get_by_role("region", name="New on Chorus Pro?")
        support.textbox(new, "Login email").fill(f"supplier{index}@example.org")
        new.get_by_role("combobox", name="Identifier type").select_option(label=label)
        number_box = support.textbox(new, "Company registration number")
        if number:
            number_box.fill(number)
        else:
            expect(number_box).to_be_hidden()
        if label == "RIDET (New Caledonia)":
            expect(new.locator("#id_siret-hint")).to_contain_text("The RIDET: 7 digits")
        if outside:
            new.get_by_role("combobox", name="Country of the company").select_option(outside[0])
            support.textbox(new, "Company name").fill(outside[1])
        else:
            expect(support.textbox(new, "Company name")).to_be_hidden()
        new.get_by_role("button", name="Create my account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Personal information and structure"
        )
        support.fill_person(page, "Alex", f"Supplier{index}")
        if address_needed:
            name = support.textbox(page, "Company name")
            if name.count() and name.is_editable():
                name.fill(f"Supplier {index}")
            support.textbox(page, "Address").fill("1 rue du Port")
            support.textbox(page, "Postal code").fill("98800")
            support.textbox(page, "City").fill("Nouméa")
        shot(f"step 2 {label}")
        support.validate_step(page)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        support.validate_step(page)
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "an activation e-mail has been sent to"
        )
    types = set(Structure.objects.values_list("identifier_type", flat=True))
    assert types == set(IdentifierType.values)
    vat = Structure.objects.get(identifier_type=IdentifierType.EU_VAT)
    assert (vat.name, vat.country.code) == ("NV BRUXELLES EXEMPLE", "BE")
