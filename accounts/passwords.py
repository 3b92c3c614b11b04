"""The password policy, defined once: these validators decide on the server, and their
`meter_rules()` feed the live complexity meter, so the two can never drift apart."""

import re

from django.contrib.auth.password_validation import get_default_password_validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# Chorus Pro counts accented letters (é, Ç…) as special characters, so upper and lower case
# are the unaccented Latin letters only; anything that is not a letter A–Z or a digit is special.
CHARACTER_CLASSES = [
    ("upper", _("uppercase letters (A–Z)"), r"[A-Z]"),
    ("lower", _("lowercase letters (a–z)"), r"[a-z]"),
    ("digit", _("digits (0–9)"), r"[0-9]"),
    (
        "special",
        _("special characters (punctuation, spaces, accented letters such as é or Ç)"),
        r"[^A-Za-z0-9]",
    ),
]


def character_classes_in(password: str) -> set[str]:
    found = set()
    for code, _label, pattern in CHARACTER_CLASSES:
        if re.search(pattern, password):
            found.add(code)
    return found


class MinimumLengthValidator:
    def __init__(self, min_length=12):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "The password is too short: it must have at least %(min_length)d character.",
                    "The password is too short: it must have at least %(min_length)d characters.",
                    self.min_length,
                ),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return _("At least %(min_length)d characters.") % {"min_length": self.min_length}

    def meter_rules(self):
        return [
            {
                "id": "min_length",
                "type": "min_length",
                "value": self.min_length,
                "label": str(self.get_help_text()),
            }
        ]


class MaximumLengthValidator:
    """Long passwords are refused, never silently truncated."""

    def __init__(self, max_length=128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password is too long: it must have at most %(max_length)d characters."),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self):
        return _("At most %(max_length)d characters.") % {"max_length": self.max_length}

    def meter_rules(self):
        return [
            {
                "id": "max_length",
                "type": "max_length",
                "value": self.max_length,
                "label": str(self.get_help_text()),
            }
        ]


class CharacterClassesValidator:
    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = character_classes_in(password)
        if len(found) < self.min_classes:
            missing = ", ".join(
                str(label) for code, label, _p in CHARACTER_CLASSES if code not in found
            )
            raise ValidationError(
                _(
                    "The password must mix at least %(min_classes)d of the 4 kinds of characters; "
                    "it has %(count)d. Add some of: %(missing)s."
                ),
                code="password_too_simple",
                params={"min_classes": self.min_classes, "count": len(found), "missing": missing},
            )

    def get_help_text(self):
        return _(
            "At least %(min_classes)d of these 4 kinds: uppercase letters, lowercase letters, "
            "digits, special characters (accented letters count as special)."
        ) % {"min_classes": self.min_classes}

    def meter_rules(self):
        return [
            {
                "id": "classes",
                "type": "classes",
                "value": self.min_classes,
                "label": str(self.get_help_text()),
                "classes": [
                    {"id": code, "label": str(label), "pattern": pattern}
                    for code, label, pattern in CHARACTER_CLASSES
                ],
            }
        ]


def meter_rules() -> list[dict]:
    """The rules of the configured validators that the browser can check while the user types."""
    rules = []
    for validator in get_default_password_validators():
        if hasattr(validator, "meter_rules"):
            rules.extend(validator.meter_rules())
    return rules
