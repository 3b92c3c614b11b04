"""SIRET cleaning and validation as a person types it."""

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from structures.identifiers import clean_siret, siren_of

VALID = "52601815590833"
LA_POSTE_VALID = "35600000041231"  # sum of digits 20, not Luhn-valid
LA_POSTE_INVALID = "35600000010013"  # Luhn-valid, but sum of digits 13
LA_POSTE_HEAD_OFFICE = "35600000000048"


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean_siret(value)
    return caught.value


def _message(error: ValidationError) -> str:
    return error.messages[0]


def test_valid_siret_is_returned_unchanged():
    """A valid 14-digit SIRET comes back as it is."""
    assert clean_siret(VALID) == VALID


@pytest.mark.parametrize(
    "typed",
    [
        "526 018 155 90833",
        "526.018.155.90833",
        "526-018-155-90833",
        "526\u00a0018\u00a0155\u00a090833",
        "526\u202f018\u202f155\u202f90833",
        "  52601815590833\t",
        "526 018.155-90833",
    ],
)
def test_separators_are_stripped(typed):
    """Spaces (including non-breaking ones), dots and dashes people type are removed."""
    assert clean_siret(typed) == VALID


def test_wrong_checksum_is_refused_with_a_plain_message():
    """One mistyped digit breaks the checksum and the message says so."""
    error = _error("52601815590834")
    assert error.code == "checksum"
    assert _message(error) == "This SIRET is not valid: check the digits, one may be mistyped."


@pytest.mark.parametrize("typed, count", [("5260181559083", 13), ("526018155908331", 15)])
def test_wrong_length_says_how_many_digits_were_typed(typed, count):
    """13 or 15 digits: the message gives the expected and the typed length."""
    error = _error(typed)
    assert error.code == "length"
    assert _message(error) == f"A SIRET has 14 digits; you typed {count}."


def test_letters_are_named_in_the_message():
    """Letters are refused, and the message shows which ones."""
    error = _error("5260181559O83A")
    assert error.code == "letters"
    assert "not letters" in _message(error)
    assert "“OA”" in _message(error)


def test_other_characters_are_named_in_the_message():
    """Characters that are neither digits nor separators are refused and shown."""
    error = _error("52601815590833/")
    assert error.code == "characters"
    assert "“/”" in _message(error)


def test_non_ascii_digits_are_refused():
    """Full-width digits look like digits but are not what INSEE or the database accept."""
    error = _error("５２６０１８１５５９０８３３")
    assert error.code == "characters"


def test_empty_value_asks_for_the_digits():
    """An empty or separator-only value asks for the SIRET instead of counting 0 digits."""
    assert _error(" . ").code == "required"


def test_la_poste_siret_valid_by_sum_of_digits_is_accepted():
    """La Poste's SIRETs follow the sum-of-digits rule, not Luhn, and are accepted."""
    assert not luhn.is_valid(LA_POSTE_VALID)
    assert clean_siret(LA_POSTE_VALID) == LA_POSTE_VALID


def test_la_poste_siret_valid_by_luhn_only_is_refused():
    """A 356000000 SIRET whose digit sum is not a multiple of 5 is refused even if Luhn-valid."""
    assert luhn.is_valid(LA_POSTE_INVALID)
    assert _error(LA_POSTE_INVALID).code == "checksum"


def test_la_poste_head_office_is_accepted():
    """La Poste's head office is the one 356000000 SIRET checked by Luhn."""
    assert clean_siret(LA_POSTE_HEAD_OFFICE) == LA_POSTE_HEAD_OFFICE


def test_siren_of_gives_the_first_nine_digits_after_cleaning():
    """The SIREN is the company part of the SIRET, whatever separators were typed."""
    assert siren_of("526 018 155 90833") == "526018155"


def test_siren_of_refuses_an_invalid_siret():
    """siren_of validates like clean_siret, so an invalid SIRET never yields a SIREN."""
    with pytest.raises(ValidationError):
        siren_of("52601815590834")
