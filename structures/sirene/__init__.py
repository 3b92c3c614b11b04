"""The INSEE Sirene client: `lookup_establishment(siret)` and its exceptions."""

from .types import (
    Establishment,
    EstablishmentNotFound,
    EstablishmentNotPublic,
    SireneError,
    SireneUnavailable,
)

__all__ = [
    "Establishment",
    "EstablishmentNotFound",
    "EstablishmentNotPublic",
    "SireneError",
    "SireneUnavailable",
    "lookup_establishment",
]


def lookup_establishment(siret: str) -> Establishment:
    """Return the establishment INSEE knows under this (already validated) SIRET.

    Raises EstablishmentNotFound, EstablishmentNotPublic or SireneUnavailable.
    """
    from .client import lookup_establishment as _lookup

    return _lookup(siret)
