"""The password policy, as configured in AUTH_PASSWORD_VALIDATORS."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.passwords import meter_rules


def refused(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


def test_eleven_characters_refused_twelve_accepted():
    """The length rule at its boundary."""
    assert "password_too_short" in refused("Abcdefgh1!x")
    assert refused("Abcdefgh1!xy") == []


def test_two_groups_refused_three_accepted():
    """The character-groups rule at its boundary."""
    assert refused("abcdefghijkl1") == ["password_too_simple"]
    assert refused("abcdefghijKl1") == []


def test_accented_letters_count_as_special():
    """ "ÉtéFacture2026" has upper, lower, digits and accents (special): accepted."""
    assert refused("ÉtéFacture2026") == []
    assert refused("étéçàùéèêëîï") == ["password_too_simple"]  # accents are not lower case


def test_common_password_refused():
    """A password from Django's common list is refused even when it meets the other rules."""
    assert "password_too_common" in refused("Password1234")


@pytest.mark.django_db
def test_password_built_from_the_email_refused():
    """A password too close to the login e-mail is refused."""
    user = User(email="jean.dupont@example.org", first_name="Jean", last_name="Dupont")
    assert "password_too_similar" in refused("Jean.Dupont@example.org", user)


def test_over_128_characters_refused_not_truncated():
    """129 characters are refused, 128 accepted."""
    assert "password_too_long" in refused("Aa1!" * 32 + "x")
    assert refused("Aa1!-" * 25 + "Zz9") == []


def test_each_refusal_says_which_rule_failed():
    """The message names the rule: length, and which groups are missing."""
    with pytest.raises(ValidationError) as error:
        validate_password("abcdefghijkl")
    text = " ".join(error.value.messages)
    assert "1 of" not in text
    assert "at least 3 of the 4 kinds of characters; it has 1" in text
    assert "uppercase letters" in text and "digits" in text


def test_meter_rules_come_from_the_configured_validators(settings):
    """The meter's rules are those of AUTH_PASSWORD_VALIDATORS: change one, the meter follows."""
    ids = [rule["id"] for rule in meter_rules()]
    assert ids == ["min_length", "max_length", "classes"]
    assert meter_rules()[0]["value"] == 12
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 16}}
    ]
    from django.contrib.auth.password_validation import get_default_password_validators

    get_default_password_validators.cache_clear()
    try:
        assert meter_rules() == [
            {
                "id": "min_length",
                "type": "min_length",
                "value": 16,
                "label": "At least 16 characters.",
            }
        ]
    finally:
        get_default_password_validators.cache_clear()
