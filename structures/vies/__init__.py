"""The VIES client (the EU's VAT number check): `check_vat(number)` and its exceptions."""

from .client import check_vat
from .types import VatNumberInvalid, VatRecord, ViesError, ViesUnavailable

__all__ = ["VatNumberInvalid", "VatRecord", "ViesError", "ViesUnavailable", "check_vat"]
