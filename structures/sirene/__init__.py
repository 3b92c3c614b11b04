"""The INSEE Sirene client: `lookup_establishment(siret)` and its exceptions."""

from .client import lookup_establishment
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
