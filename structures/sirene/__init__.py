"""The INSEE Sirene client: `lookup_establishment(siret)` and its exceptions."""

from .client import lookup_establishment
from .mirror import SearchResult
from .mirror import search as search_companies
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
    "SearchResult",
    "SireneError",
    "SireneUnavailable",
    "lookup_establishment",
    "search_companies",
]
