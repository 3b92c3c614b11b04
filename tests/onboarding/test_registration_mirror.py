"""Registration with a Sirene mirror: verified from it, without asking INSEE, and it says so."""

import pytest

from structures.models import SireneMirror, Structure
from tests.fakes.insee import FakeInsee
from tests.journey import register
from tests.structures import sirene_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def insee(settings):
    with FakeInsee({}, api_key="k") as fake:
        settings.SIRENE_BACKEND = "insee"
        settings.SIRENE_API_URL = fake.url
        settings.SIRENE_API_KEY = "k"
        yield fake


def test_a_registration_is_verified_from_the_mirror_and_records_it(client, tmp_path, insee):
    """Steps 1-3 with a SIRET of the mirror: verified, source "mirror of <date>", 0 INSEE calls."""
    sirene_files.load(sirene_files.write(tmp_path, rows=50))
    company = next(
        c
        for c in sirene_files.companies(rows=50)
        if c.unit["statutDiffusionUniteLegale"] == "O"
        and c.establishments[0]["etatAdministratifEtablissement"] == "A"
    )
    siret = company.establishments[0]["siret"]
    response = register(client, "mirror@example.fr", siret=siret)
    assert response.status_code == 302
    structure = Structure.objects.get(siret=siret)
    as_of = SireneMirror.objects.get().as_of.date().isoformat()
    assert structure.verification == Structure.Verification.VERIFIED
    assert structure.insee_source == f"mirror:{as_of}"
    assert structure.insee_source_label == f"Sirene mirror of {as_of}"
    assert insee.count() == 0


def test_a_siret_not_in_the_mirror_is_verified_by_the_api(client, tmp_path, insee):
    """A SIRET the mirror lacks is asked of INSEE, and the structure records "INSEE API"."""
    sirene_files.load(sirene_files.write(tmp_path, rows=50))
    insee.bodies.update(FakeInsee.from_stub_file().bodies)
    register(client, "api@example.fr")
    structure = Structure.objects.get(siret="52601815590833")
    assert structure.insee_source == "api"
    assert structure.insee_source_label == "INSEE API"
    assert insee.count("52601815590833") == 1
