""" "Find my company" at step 1: the combobox's JSON, the page without JavaScript, the throttle."""

import pytest
from django.conf import settings

from tests.structures import sirene_files

pytestmark = pytest.mark.django_db

URL = "/register/find/"


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    return sirene_files.write(tmp_path_factory.mktemp("stock"), rows=600)


@pytest.fixture(scope="module")
def companies():
    return sirene_files.companies(rows=600)


@pytest.fixture
def loaded(stock):
    sirene_files.load(stock)


def first(companies, test):
    return next(c for c in companies if test(c))


def test_step1_offers_the_search_beside_the_number(client):
    """Step 1 shows the link text and an ARIA 1.2 combobox wired to its listbox."""
    page = client.get("/").content.decode()
    assert "Don't know your SIRET? Search by name" in page
    assert 'role="combobox"' in page and 'aria-controls="find-results"' in page
    assert 'id="find-results" role="listbox"' in page
    assert 'form="find-company-form"' in page and 'id="find-company-form"' in page


def test_the_combobox_gets_active_establishments_as_json(client, loaded, companies):
    """By SIREN: the active establishments, head office first, as JSON."""
    company = first(
        companies,
        lambda c: (
            c.unit["statutDiffusionUniteLegale"] == "O"
            and c.establishments[0]["etatAdministratifEtablissement"] == "A"
        ),
    )
    response = client.get(URL, {"q": company.unit["siren"], "format": "json"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["siret"] == company.establishments[0]["siret"]
    assert results[0]["is_head_office"] and results[0]["address"]


def test_a_non_diffusible_establishment_comes_without_its_address(client, loaded, companies):
    """A partially diffusible company's establishments are listed with no address."""
    company = first(
        companies,
        lambda c: (
            c.unit["statutDiffusionUniteLegale"] == "P"
            and c.establishments[0]["etatAdministratifEtablissement"] == "A"
        ),
    )
    results = client.get(URL, {"q": company.unit["siren"], "format": "json"}).json()["results"]
    assert results and all(result["address"] == "" for result in results)
    page = client.get(URL, {"q": company.unit["siren"]}).content.decode()
    assert "Address not public" in page and "[ND]" not in page


def test_without_javascript_a_page_lists_results_that_fill_step1(client, loaded, companies):
    """The plain page links each result back to step 1, which fills the SIRET in."""
    company = first(
        companies,
        lambda c: (
            c.unit["denominationUniteLegale"]
            and c.unit["statutDiffusionUniteLegale"] == "O"
            and c.establishments[0]["etatAdministratifEtablissement"] == "A"
        ),
    )
    siret = company.establishments[0]["siret"]
    page = client.get(URL, {"q": company.unit["denominationUniteLegale"].lower()}).content.decode()
    assert f"/?siret={siret}#id_siret" in page
    step1 = client.get("/", {"siret": siret}).content.decode()
    assert f'value="{siret}"' in step1


def test_a_query_too_short_is_explained_next_to_the_field(client):
    """Two letters: the page says how many are needed; the JSON answer is a 400."""
    page = client.get(URL, {"q": "ab"}).content.decode()
    assert "Enter at least 3 letters of your company" in page
    assert client.get(URL, {"q": "ab", "format": "json"}).status_code == 400


def test_nothing_found_says_what_to_try(client, loaded):
    """No match: the page suggests other ways, with a link back to step 1."""
    page = client.get(URL, {"q": "qwxzy plonk"}).content.decode()
    assert "No active establishment found" in page
    assert 'href="/"' in page


def test_searches_are_throttled_per_ip(client):
    """Past the configured searches a minute from one IP, the search answers 429."""
    per_minute = int(settings.COMPANY_SEARCH_PER_IP[0].split("/")[0])
    for _ in range(per_minute):
        assert client.get(URL, {"q": "boulangerie", "format": "json"}).status_code == 200
    assert client.get(URL, {"q": "boulangerie", "format": "json"}).status_code == 429
    assert client.get(URL, {"q": "boulangerie"}).status_code == 429
    other = client.get(URL, {"q": "boulangerie", "format": "json"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
