"""The identifier types: cleaning each kind of number, and the database's check per type."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from structures.identifiers import (
    IdentifierType,
    clean_eu_vat,
    clean_ridet,
    clean_tahiti,
    is_eu_country,
    outside_eu_identifier,
    vat_country,
)
from structures.models import Structure
from tests import journey
from tests.admin_support import listed
from tests.factories import MembershipFactory, StructureFactory


def _code(callable_, value):
    with pytest.raises(ValidationError) as error:
        callable_(value)
    return error.value.code


def test_eu_vat_is_compacted_with_its_prefix():
    """Spaces, dots and lower case are accepted; the stored form is prefix + number."""
    assert clean_eu_vat("de 136.695.976") == "DE136695976"
    assert clean_eu_vat("BE 0403.170.701") == "BE0403170701"


def test_eu_vat_check_digits_are_verified():
    """A mistyped digit fails python-stdnum's check for that country."""
    assert _code(clean_eu_vat, "DE136695977") == "checksum"


def test_eu_vat_france_points_to_the_siret():
    """A French VAT number is refused: French companies register with their SIRET."""
    assert _code(clean_eu_vat, "FR40303265045") == "france"


def test_eu_vat_outside_the_eu_is_refused():
    """A prefix that is no EU member state (US, CH) is refused with a pointer to the type."""
    assert _code(clean_eu_vat, "CHE123456789") == "country"
    assert _code(clean_eu_vat, "") == "required"


def test_greece_is_written_el_and_located_in_gr():
    """Greece's numbers take VIES' EL prefix; its country is ISO's GR."""
    assert clean_eu_vat("GR094014201") == "EL094014201"
    assert vat_country("EL094014201") == "GR"
    assert is_eu_country("GR") and not is_eu_country("US") and not is_eu_country("GB")


def test_ridet_and_tahiti_formats():
    """RIDET: 7 + 3 digits (a 6-digit company is padded); TAHITI: letter + 5 digits + 3."""
    assert clean_ridet("1234567.001") == "1234567001"
    assert clean_ridet("123456 001") == "0123456001"
    assert _code(clean_ridet, "12345.001") == "invalid"
    assert clean_tahiti("a12345 001") == "A12345001"
    assert _code(clean_tahiti, "AB1234001") == "invalid"


def test_outside_eu_identifier_is_country_and_name():
    """Country then the name in capitals, accents and punctuation dropped."""
    assert outside_eu_identifier(country="US", company_name="Acmé Corp.") == "USACMECORP"
    with pytest.raises(ValidationError):
        outside_eu_identifier(country="US", company_name="..")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "identifier"),
    [
        (IdentifierType.EU_VAT, "FR40303265045"),
        (IdentifierType.EU_VAT, "de136695976"),
        (IdentifierType.RIDET, "123456700"),
        (IdentifierType.TAHITI, "A1234500"),
        (IdentifierType.OUTSIDE_EU, "us acme"),
        (IdentifierType.PRIVATE_INDIVIDUAL, "123"),
        (IdentifierType.BEING_REGISTERED, "52601815590833"),
    ],
)
def test_database_refuses_a_number_of_the_wrong_format(kind, identifier):
    """Each type's CheckConstraint refuses a number its format does not allow."""
    with pytest.raises(IntegrityError), transaction.atomic():
        StructureFactory(siret=None, identifier_type=kind, identifier=identifier)


@pytest.mark.django_db
def test_database_accepts_each_type_and_keeps_siret_for_siret_only():
    """Well-formed numbers of every type are stored; only a SIRET fills `siret`."""
    for kind, identifier in [
        (IdentifierType.EU_VAT, "DE136695976"),
        (IdentifierType.RIDET, "1234567001"),
        (IdentifierType.TAHITI, "A12345001"),
        (IdentifierType.OUTSIDE_EU, "USACMECORP"),
        (IdentifierType.PRIVATE_INDIVIDUAL, None),
        (IdentifierType.BEING_REGISTERED, None),
    ]:
        structure = StructureFactory(siret=None, identifier_type=kind, identifier=identifier)
        assert structure.siret is None
    with pytest.raises(IntegrityError), transaction.atomic():
        StructureFactory(siret=None, identifier_type=IdentifierType.RIDET, identifier="1234567001")
    siret = StructureFactory(siret="52601815590833")
    assert (siret.identifier, siret.siren) == ("52601815590833", "526018155")
    assert Structure.objects.filter(identifier_type=IdentifierType.SIRET).count() == 1


@pytest.mark.django_db
def test_admin_filters_structures_by_type_and_shows_official_values(admin_client):
    """The admin's list filters by identifier type; the change page shows the register's
    values beside the current ones."""
    ridet = StructureFactory(
        siret=None, identifier_type=IdentifierType.RIDET, identifier="1234567001"
    )
    vat = StructureFactory(
        siret=None,
        identifier_type=IdentifierType.EU_VAT,
        identifier="BE0403170701",
        name="Typed name",
        official_values={"name": "NV BRUXELLES EXEMPLE"},
    )
    StructureFactory()
    url = reverse("admin:structures_structure_changelist")
    assert listed(admin_client.get(url, {"identifier_type__exact": "RIDET"})) == {ridet.pk}
    assert listed(admin_client.get(url, {"q": "BE0403170701"})) == {vat.pk}
    page = admin_client.get(reverse("admin:structures_structure_change", args=[vat.pk]))
    text = page.content.decode()
    assert "NV BRUXELLES EXEMPLE" in text and "Typed name" in text


@pytest.mark.django_db
def test_being_registered_primary_manager_enters_the_siret_later(client):
    """The structure page takes the SIRET: unknown to INSEE refused, found makes the
    structure a verified SIRET structure with INSEE's values apart; audited."""
    manager = MembershipFactory(
        primary_manager=True,
        structure__siret=None,
        structure__identifier_type=IdentifierType.BEING_REGISTERED,
        structure__identifier=None,
    )
    structure = manager.structure
    client.force_login(manager.user)
    url = f"/structures/{structure.pk}/"
    assert "Enter the SIRET" in client.get(url).content.decode()
    page = client.post(url, {"siret_later": "1", "siret": journey.UNKNOWN_SIRET})
    assert "not in the INSEE register" in page.content.decode()
    response = client.post(url, {"siret_later": "1", "siret": "526 018 155 90833"})
    assert response.status_code == 302
    structure.refresh_from_db()
    assert (structure.identifier_type, structure.siret) == ("SIRET", "52601815590833")
    assert structure.verification == Structure.Verification.VERIFIED
    assert structure.official_values["city"] == "Toulouse"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.STRUCTURE_CHANGE).exists()


@pytest.mark.django_db
def test_only_the_primary_manager_enters_the_siret(client):
    """A plain member posting a SIRET is refused; the structure keeps waiting."""
    member = MembershipFactory(
        structure__siret=None,
        structure__identifier_type=IdentifierType.BEING_REGISTERED,
        structure__identifier=None,
    )
    client.force_login(member.user)
    response = client.post(
        f"/structures/{member.structure.pk}/", {"siret_later": "1", "siret": "52601815590833"}
    )
    assert response.status_code == 403
    member.structure.refresh_from_db()
    assert member.structure.identifier_type == IdentifierType.BEING_REGISTERED


@pytest.mark.django_db
def test_structure_page_of_a_vat_structure_has_no_insee_box_and_saves(client):
    """No "INSEE not diffusible" box for an EU VAT structure; an edit is saved."""
    manager = MembershipFactory(
        primary_manager=True,
        structure__siret=None,
        structure__identifier_type=IdentifierType.EU_VAT,
        structure__identifier="BE0403170701",
        structure__country="BE",
        structure__postal_code="1000",
    )
    client.force_login(manager.user)
    url = f"/structures/{manager.structure.pk}/"
    page = client.get(url).content.decode()
    assert 'name="non_diffusible"' not in page
    assert "BE0403170701" in page
    data = {
        "name": "NV Bruxelles",
        "address_line": "Rue de la Loi 16",
        "postal_code": "1000",
        "city": "Bruxelles",
        "country": "BE",
    }
    assert client.post(url, data).status_code == 302
    manager.structure.refresh_from_db()
    assert (manager.structure.name, manager.structure.non_diffusible) == ("NV Bruxelles", False)
