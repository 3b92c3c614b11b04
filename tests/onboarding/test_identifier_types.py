"""Registration with each identifier type: step 1's validation and hint, step 2's fields, the
structure stored with its type."""

import json

import pytest

from structures.identifiers import IdentifierType
from structures.models import Structure
from structures.verification import verify_pending
from tests import challenges, journey

pytestmark = pytest.mark.django_db


def start(client, kind, number="", **extra):
    data = {
        "email": "someone@example.org",
        "identifier_type": kind,
        "siret": number,
        "altcha": challenges.solution("step1"),
        **extra,
    }
    return client.post("/register/", data)


def finish(client, **details):
    response = journey.step2(client, **details)
    assert response.status_code == 302, response.content.decode()[:3000]
    journey.step3(client)
    return Structure.objects.get(memberships__user__email="someone@example.org")


def test_step1_offers_every_type_with_siret_first(client):
    """The select lists Chorus Pro's types by their API names, SIRET selected."""
    page = client.get("/").content.decode()
    assert 'name="identifier_type"' in page
    assert '<option value="SIRET" selected>SIRET</option>' in page
    for kind in IdentifierType:
        assert f'value="{kind.value}"' in page


def test_hint_and_validation_follow_the_type_without_javascript(client):
    """A RIDET posted with a bad number gets the RIDET hint and error, what was typed kept."""
    page = start(client, "RIDET", "12-34").content.decode()
    assert "A RIDET has 7 digits for the company" in page
    assert "The RIDET: 7 digits for the company and 3 for the establishment" in page
    assert 'value="12-34"' in page


def test_eu_vat_found_in_vies_autofills_step2_with_country_fixed(client):
    """A VAT number VIES knows: name and address filled in, the country fixed by the prefix,
    no SIRET and no "INSEE not diffusible" box; stored verified with VIES' values apart."""
    assert start(client, "UE_HORS_FRANCE", "BE 0403.170.701").status_code == 302
    page = client.get("/register/details/").content.decode()
    assert "filled in from VIES" in page
    assert 'value="NV BRUXELLES EXEMPLE"' in page
    assert 'name="non_diffusible"' not in page
    assert "<dd>BE0403170701</dd>" in page
    structure = finish(client, company_name="NV Bruxelles", city="Bruxelles", country="FR")
    assert (structure.identifier_type, structure.identifier) == ("UE_HORS_FRANCE", "BE0403170701")
    assert structure.country.code == "BE"  # the posted FR is ignored
    assert structure.siret is None
    assert structure.verification == Structure.Verification.VERIFIED
    assert structure.verification_label == "Verified by VIES"
    assert structure.official_values["name"] == "NV BRUXELLES EXEMPLE"
    assert structure.name == "NV Bruxelles"


def test_eu_vat_invalid_at_vies_stays_on_step1(client):
    """VIES says not valid: step 1 again with the reason next to the number."""
    page = start(client, "UE_HORS_FRANCE", "IT00743110157").content.decode()
    assert "says this VAT number is not valid" in page


def test_eu_vat_with_wrong_check_digits_never_asks_vies(client, settings):
    """A mistyped number is refused by its check digits (VIES would be unreachable here)."""
    settings.VIES_BACKEND = "vies"
    settings.VIES_API_URL = "http://127.0.0.1:9"
    page = start(client, "UE_HORS_FRANCE", "DE136695977").content.decode()
    assert "This VAT number is not valid" in page


def test_eu_vat_france_refused_with_a_pointer_to_siret(client):
    """A French VAT number sends the person to the SIRET type."""
    page = start(client, "UE_HORS_FRANCE", "FR40303265045").content.decode()
    assert "registers with its SIRET" in page


def test_eu_vat_vies_unavailable_goes_on_not_verified_then_checked_later(
    client, settings, tmp_path
):
    """VIES down: step 2 empty with a notice, structure pending; the periodic check
    verifies it once VIES answers, keeping VIES' values apart."""
    assert start(client, "UE_HORS_FRANCE", "ESA28015865").status_code == 302
    assert "could not be reached" in client.get("/register/details/").content.decode()
    structure = finish(client, city="Madrid")
    assert structure.verification == Structure.Verification.PENDING
    assert structure.country.code == "ES"
    assert verify_pending(limit=5) == {"unavailable": 1}
    answer = {"isValid": True, "name": "TELEFONICA SA", "address": "GRAN VIA 28\n28013 MADRID"}
    stub = tmp_path / "vies.json"
    stub.write_text(json.dumps({"ESA28015865": answer}))
    settings.VIES_STUB_FILE = str(stub)
    assert verify_pending(limit=5) == {"verified": 1}
    structure.refresh_from_db()
    assert structure.verification == Structure.Verification.VERIFIED
    assert structure.official_values["city"] == "MADRID"
    assert structure.city == "Madrid"


def test_outside_eu_needs_country_and_name(client):
    """Outside the EU: country and name are asked; an EU country is pointed to the VAT type."""
    page = start(client, "HORS_UE").content.decode()
    assert "Choose the country of the company." in page
    assert "Enter the company name." in page
    page = start(client, "HORS_UE", country="DE", company_name="Acme").content.decode()
    assert 'id="id_country-error"' in page
    assert '<option value="DE">' not in page and '<option value="US">' in page


def test_outside_eu_identifier_built_and_step2_name_and_country_fixed(client):
    """The identifier is country + name; step 2 keeps both as typed at step 1."""
    response = start(client, "HORS_UE", country="US", company_name="Acme Corp.")
    assert response.status_code == 302
    structure = finish(client, company_name="Other", country="CA", postal_code="10001")
    assert (structure.identifier, structure.name) == ("USACMECORP", "Acme Corp.")
    assert structure.country.code == "US"
    assert structure.verification == Structure.Verification.NO_REGISTER


def test_ridet_and_tahiti_fix_their_territory(client):
    """A RIDET is in New Caledonia, a TAHITI number in French Polynesia."""
    assert start(client, "RIDET", "1234567.001").status_code == 302
    structure = finish(client, country="FR", postal_code="98800")
    assert (structure.identifier, structure.country.code) == ("1234567001", "NC")


def test_tahiti_number_stored(client):
    """A TAHITI number is stored in capitals, its country French Polynesia."""
    assert start(client, "TAHITI", "a12345 001").status_code == 302
    structure = finish(client, postal_code="98713")
    assert (structure.identifier, structure.country.code) == ("A12345001", "PF")


def test_private_individual_structure_is_the_person(client):
    """No number and no company name: the structure takes the person's name."""
    assert start(client, "PARTICULIER").status_code == 302
    page = client.get("/register/details/").content.decode()
    assert 'name="company_name"' not in page
    structure = finish(client)
    assert structure.name == "Claire Martin"
    assert structure.identifier is None


def test_being_registered_gets_its_own_structure_each_time(client):
    """Being registered: no number, never joined by someone else's registration."""
    assert start(client, "EN_COURS_IMMATRICULATION", "123").status_code == 302
    assert "awaiting its SIRET" in client.get("/register/details/").content.decode()
    structure = finish(client)
    assert structure.identifier_type == "EN_COURS_IMMATRICULATION"
    assert structure.identifier is None and structure.siret is None
