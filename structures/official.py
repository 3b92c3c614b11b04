"""What a register said of a structure, under Structure.EDITABLE_FIELDS' names, kept apart
from what its members typed (Structure.official_values)."""

from structures.sirene import Establishment
from structures.vies import VatRecord


def official_from_establishment(establishment: Establishment) -> dict:
    """INSEE's values (a non-diffusible establishment's come back empty)."""
    return {
        "name": establishment.name,
        "address_line": establishment.address_line,
        "address_complement": establishment.address_complement,
        "postal_code": establishment.postal_code,
        "city": establishment.city,
        "country": establishment.country_code or "FR",
    }


def official_from_vat_record(record: VatRecord) -> dict:
    """VIES' values; a member state that publishes no name or address leaves them empty."""
    return {
        "name": record.name,
        "address_line": record.address_line,
        "postal_code": record.postal_code,
        "city": record.city,
        "country": record.country_code,
    }
