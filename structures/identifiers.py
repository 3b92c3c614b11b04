"""French company identifiers as people type them: clean, validate, explain what is wrong.

The checksum rules (Luhn, and La Poste's sum-of-digits exception for SIRETs starting with
356000000) come from python-stdnum, which implements exactly what INSEE documents.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret as stdnum_siret

SIRET_LENGTH = 14
SIREN_LENGTH = 9

# What people put between digit groups when they copy a SIRET from a letterhead or a Kbis:
# spaces (including the non-breaking and narrow non-breaking spaces of French typography),
# tabs, dots and dashes.
_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f\u2007\u2010\u2011\u2012\u2013]+")
_ASCII_DIGITS = frozenset("0123456789")


def clean_siret(value: str) -> str:
    """Return the 14-digit SIRET in `value`, or raise ValidationError saying what is wrong.

    Separators (spaces, dots, dashes) are removed first, so "732 829 320 00074" is accepted.
    Only ASCII digits count as digits: "１２３" or Arabic-Indic digits are refused rather than
    silently converted, because INSEE and the database constraint expect 0-9.
    """
    compact = _SEPARATORS.sub("", value or "")
    if not compact:
        raise ValidationError(_("Enter the 14 digits of the SIRET."), code="required")

    unexpected = "".join(dict.fromkeys(char for char in compact if char not in _ASCII_DIGITS))
    if unexpected:
        if any(char.isalpha() for char in unexpected):
            raise ValidationError(
                _("A SIRET contains only digits, not letters: remove “%(characters)s”."),
                code="letters",
                params={"characters": unexpected},
            )
        raise ValidationError(
            _("A SIRET contains only digits: remove “%(characters)s”."),
            code="characters",
            params={"characters": unexpected},
        )

    if len(compact) != SIRET_LENGTH:
        raise ValidationError(
            _("A SIRET has 14 digits; you typed %(count)d."),
            code="length",
            params={"count": len(compact)},
        )

    try:
        stdnum_siret.validate(compact)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("This SIRET is not valid: check the digits, one may be mistyped."),
            code="checksum",
        ) from exc
    except (InvalidFormat, InvalidLength) as exc:  # pragma: no cover - checked above
        raise ValidationError(
            _("This SIRET is not valid: check the digits, one may be mistyped."),
            code="invalid",
        ) from exc
    return compact


def siren_of(siret: str) -> str:
    """Return the SIREN (the company, 9 digits) of a SIRET (one of its establishments).

    The SIRET is cleaned and validated first, so this raises ValidationError like clean_siret.
    """
    return clean_siret(siret)[:SIREN_LENGTH]
