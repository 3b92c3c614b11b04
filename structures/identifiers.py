"""Company identifiers as people type them: clean, validate, explain what is wrong.

The checksum rules (Luhn, and La Poste's sum-of-digits exception for SIRETs starting with
356000000) come from python-stdnum, which implements exactly what INSEE documents.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as ValidationError_
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


# --- The other identifiers Chorus Pro accepts -------------------------------------------------


class IdentifierType(models.TextChoices):
    """The kinds of structure identifier, valued with Chorus Pro's API names."""

    SIRET = "SIRET", _("SIRET")
    EU_VAT = "UE_HORS_FRANCE", _("EU VAT number (outside France)")
    OUTSIDE_EU = "HORS_UE", _("Outside the EU")
    RIDET = "RIDET", _("RIDET (New Caledonia)")
    TAHITI = "TAHITI", _("TAHITI number (French Polynesia)")
    PRIVATE_INDIVIDUAL = "PARTICULIER", _("Private individual")
    BEING_REGISTERED = "EN_COURS_IMMATRICULATION", _("Being registered")


# The types whose structure has no number: every registration creates its own structure.
WITHOUT_NUMBER = frozenset({IdentifierType.PRIVATE_INDIVIDUAL, IdentifierType.BEING_REGISTERED})
# The types whose identifier is built from the country and the company name typed at step 1.
BUILT_FROM_NAME = frozenset({IdentifierType.OUTSIDE_EU})
# The country a type fixes at step 2 (an EU VAT number's comes from its prefix).
FIXED_COUNTRY = {IdentifierType.RIDET: "NC", IdentifierType.TAHITI: "PF"}

# The formats stored, anchored; the database checks them too (Structure's constraints).
# RIDET: "Répertoire d'identification des entreprises et des établissements" of New Caledonia,
# kept by ISEE (https://www.isee.nc/entreprises/ridet): 7 digits for the company (older ones
# have 6, written with a leading zero) followed by 3 digits for the establishment, printed
# "1234567.001"; stored as the 10 digits.
# TAHITI number: French Polynesia's register of companies, kept by ISPF
# (https://www.ispf.pf/entreprises/numero-tahiti): 6 characters for the company (a letter and
# 5 digits, or 6 digits for older ones) followed by 3 digits for the establishment, printed
# "A12345 001"; stored as the 9 characters, letters in capitals.
# EU VAT: the two-letter prefix VIES uses (EL for Greece, XI for Northern Ireland) and 2 to 13
# letters or digits, as python-stdnum compacts it; France's own numbers take a SIRET instead.
# Outside the EU: the ISO 3166 alpha-2 country followed by the company name in capitals, letters
# and digits only, which is how Chorus Pro builds the identifier of a supplier with no number
# it can check.
FORMATS = {
    IdentifierType.SIRET: r"\A[0-9]{14}\Z",
    IdentifierType.EU_VAT: r"\A(?!FR)[A-Z]{2}[0-9A-Z+*]{2,13}\Z",
    IdentifierType.OUTSIDE_EU: r"\A[A-Z]{2}[A-Z0-9]{1,78}\Z",
    IdentifierType.RIDET: r"\A[0-9]{10}\Z",
    IdentifierType.TAHITI: r"\A[A-Z0-9]{6}[0-9]{3}\Z",
}
IDENTIFIER_MAX_LENGTH = 80

_RIDET = re.compile(r"\A([0-9]{6,7})([0-9]{3})\Z")
_TAHITI = re.compile(r"\A([A-Z][0-9]{5}|[0-9]{6})([0-9]{3})\Z")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value or "").upper()


def clean_eu_vat(value: str) -> str:
    """The EU VAT number in `value`, compacted with its country prefix ("DE136695976"), its
    check digits verified by python-stdnum; a French number is refused with a pointer to
    the SIRET."""
    try:
        compact = stdnum_vat.compact(value or "")
    except ValidationError_:  # a prefix python-stdnum does not know
        compact = _compact(value)
    if not compact:
        raise ValidationError(
            _("Enter the VAT number with its country prefix, for example DE136695976."),
            code="required",
        )
    if compact.startswith("GR"):
        compact = "EL" + compact[2:]  # Greece's VAT numbers are written EL, as VIES wants
    prefix = compact[:2]
    if prefix == "FR":
        raise ValidationError(
            _(
                "A French company registers with its SIRET, not its VAT number: choose "
                "“SIRET” as the identifier type."
            ),
            code="france",
        )
    # python-stdnum names Greece by its ISO code (gr); VIES and the numbers say EL.
    if {"EL": "gr"}.get(prefix, prefix.lower()) not in stdnum_vat.MEMBER_STATES:
        raise ValidationError(
            _(
                "A VAT number starts with the two letters of its EU country, for example DE "
                "for Germany or EL for Greece. Outside the EU, choose “Outside the EU”."
            ),
            code="country",
        )
    try:
        stdnum_vat.validate(compact)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("This VAT number is not valid: check the digits, one may be mistyped."),
            code="checksum",
        ) from exc
    except ValidationError_ as exc:
        raise ValidationError(
            _("This is not a valid %(country)s VAT number: check its length and characters."),
            code="invalid",
            params={"country": prefix},
        ) from exc
    return compact


def vat_country(number: str) -> str:
    """The ISO 3166 country of a compacted EU VAT number (VIES writes Greece EL, ISO GR;
    Northern Ireland XI is in the United Kingdom, GB)."""
    prefix = number[:2]
    return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)


def clean_ridet(value: str) -> str:
    """The 10 digits of a RIDET ("1234567.001", "123456 001" are accepted)."""
    compact = _compact(value)
    match = _RIDET.match(compact)
    if not match:
        raise ValidationError(
            _(
                "A RIDET has 7 digits for the company and 3 for the establishment, for example "
                "1234567.001."
            ),
            code="invalid",
        )
    return match.group(1).zfill(7) + match.group(2)


def clean_tahiti(value: str) -> str:
    """The 9 characters of a TAHITI number ("A12345 001" is accepted)."""
    compact = _compact(value)
    if not _TAHITI.match(compact):
        raise ValidationError(
            _(
                "A TAHITI number has 6 characters for the company (a letter and 5 digits) and 3 "
                "digits for the establishment, for example A12345 001."
            ),
            code="invalid",
        )
    return compact


def outside_eu_identifier(*, country: str, company_name: str) -> str:
    """The identifier of a supplier outside the EU: its country and its name in capitals,
    letters and digits only, accents dropped ("US" + "Acme Corp." -> "USACMECORP")."""
    ascii_name = (
        unicodedata.normalize("NFKD", company_name or "").encode("ascii", "ignore").decode()
    )
    name = _NOT_ALNUM.sub("", ascii_name.upper())
    if not name:
        raise ValidationError(
            _("Enter the company name with at least one letter or digit."), code="name"
        )
    return (country.upper() + name)[:IDENTIFIER_MAX_LENGTH]


def is_eu_country(country: str) -> bool:
    """Whether an ISO 3166 country is an EU member state (France included)."""
    code = country.lower()
    return code in stdnum_vat.MEMBER_STATES and code != "xi"


def clean_identifier(identifier_type: str, value: str) -> str:
    """The stored form of `value` for a type with a number (not the name-built one)."""
    cleaners = {
        IdentifierType.SIRET: clean_siret,
        IdentifierType.EU_VAT: clean_eu_vat,
        IdentifierType.RIDET: clean_ridet,
        IdentifierType.TAHITI: clean_tahiti,
    }
    return cleaners[IdentifierType(identifier_type)](value)
