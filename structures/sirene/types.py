"""What the rest of the portal knows of the INSEE Sirene register: an establishment and the
ways a look-up can fail. Which backend answered is never visible past this module."""

from dataclasses import asdict, dataclass, field


class SireneError(Exception):
    """Base of every look-up failure."""


class EstablishmentNotFound(SireneError):
    """INSEE does not know this SIRET (404)."""


class EstablishmentNotPublic(SireneError):
    """INSEE refuses to show this unit (403): treat it as not diffusible."""


class SireneUnavailable(SireneError):
    """The register could not be asked: timeout, 5xx, 429, our own rate limit, bad key."""


@dataclass(frozen=True)
class Establishment:
    siret: str
    siren: str
    name: str = ""
    legal_category: str = ""
    is_head_office: bool = False
    address_line: str = ""
    address_complement: str = ""
    postal_code: str = ""
    city: str = ""
    country_code: str = "FR"  # ISO 3166-1 alpha-2
    country_name: str = "France"
    is_active: bool = True
    is_diffusible: bool = True  # False when INSEE says "P" (or legacy "N")
    # Where the answer came from: "mirror:<YYYY-MM-DD>" (the local copy of the register as of
    # that day), "api" (INSEE's API) or "stub" (the development file).
    source: str = field(default="", compare=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Establishment":
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})
