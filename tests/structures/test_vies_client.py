"""check_vat against the stub file and, for the vies backend, a real HTTP fake."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from structures.vies import VatNumberInvalid, ViesUnavailable, check_vat, client
from tests.fakes.vies import FakeVies

BODY = {
    "isValid": True,
    "userError": "VALID",
    "name": "NV BRUXELLES EXEMPLE",
    "address": "Rue de la Loi 16\n1000 Bruxelles",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def vies(settings, monkeypatch):
    """The fake VIES with the vies backend pointed at it; backoff waits are skipped."""
    monkeypatch.setattr(client, "_sleep", lambda seconds: None)
    with FakeVies({"BE0403170701": BODY}) as fake:
        settings.VIES_BACKEND = "vies"
        settings.VIES_API_URL = fake.url
        settings.VIES_TIMEOUT = 1.0
        yield fake


def test_stub_finds_a_sample_with_its_address_split():
    """The stub reads the sample file; VIES' free-text address gives street, postal code, city."""
    record = check_vat("BE0403170701")
    assert (record.name, record.address_line) == ("NV BRUXELLES EXEMPLE", "Rue de la Loi 16")
    assert (record.postal_code, record.city, record.country_code) == ("1000", "Bruxelles", "BE")


def test_stub_unpublished_name_is_empty():
    """A member state that publishes no name ("---") leaves the name empty."""
    assert check_vat("DE136695976").name == ""


def test_stub_plays_invalid_unknown_and_unavailable():
    """isValid false and an absent number are invalid; MS_UNAVAILABLE is unavailable."""
    with pytest.raises(VatNumberInvalid):
        check_vat("IT00743110157")
    with pytest.raises(VatNumberInvalid):
        check_vat("NL004495445B01")
    with pytest.raises(ViesUnavailable):
        check_vat("ESA28015865")


def test_unknown_backend_is_a_configuration_error(settings):
    """A misspelt VIES_BACKEND fails loudly."""
    settings.VIES_BACKEND = "vie"
    with pytest.raises(ImproperlyConfigured):
        check_vat("BE0403170701")


def test_vies_backend_calls_the_rest_path_and_caches(vies):
    """GET /ms/BE/vat/0403170701 gives the record; a second check is served by the cache."""
    assert check_vat("BE0403170701").name == "NV BRUXELLES EXEMPLE"
    assert check_vat("BE0403170701").city == "Bruxelles"
    assert vies.count("BE0403170701") == 1


def test_vies_backend_invalid_number(vies):
    """isValid false from VIES is VatNumberInvalid, and is cached too."""
    with pytest.raises(VatNumberInvalid):
        check_vat("NL004495445B01")
    with pytest.raises(VatNumberInvalid):
        check_vat("NL004495445B01")
    assert vies.count("NL004495445B01") == 1


def test_vies_backend_retries_a_busy_member_state(vies):
    """MS_UNAVAILABLE then a 503 are retried; the third answer is used."""
    vies.program("BE0403170701", ["MS_UNAVAILABLE", 503])
    assert check_vat("BE0403170701").name == "NV BRUXELLES EXEMPLE"
    assert vies.count("BE0403170701") == 3


def test_vies_backend_gives_up_after_bounded_attempts(vies):
    """Unavailable three times: ViesUnavailable after exactly three requests, nothing cached."""
    vies.program("BE0403170701", ["MS_UNAVAILABLE"] * 5)
    with pytest.raises(ViesUnavailable):
        check_vat("BE0403170701")
    assert vies.count("BE0403170701") == 3
    assert check_vat("BE0403170701").name == "NV BRUXELLES EXEMPLE"


def test_vies_backend_times_out(settings, monkeypatch):
    """A VIES slower than VIES_TIMEOUT is unavailable, within the time budget."""
    monkeypatch.setattr(client, "_sleep", lambda seconds: None)
    with FakeVies({"BE0403170701": BODY}, delay=0.6) as fake:
        settings.VIES_BACKEND, settings.VIES_API_URL = "vies", fake.url
        settings.VIES_TIMEOUT = 0.2
        with pytest.raises(ViesUnavailable):
            check_vat("BE0403170701")


def test_vies_backend_rate_limit_sends_nothing_past_it(vies, settings):
    """With VIES_RATE_LIMIT requests used, the next check is unavailable without a request."""
    settings.VIES_RATE_LIMIT = 1
    check_vat("BE0403170701")
    with pytest.raises(ViesUnavailable):
        check_vat("NL004495445B01")
    assert vies.count("NL004495445B01") == 0


def test_a_malformed_number_never_reaches_vies(vies):
    """Anything but a compacted number is refused before building the URL."""
    with pytest.raises(VatNumberInvalid):
        check_vat("BE/../x")
    assert vies.count("BE/../x") == 0
