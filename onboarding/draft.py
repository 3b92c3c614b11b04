"""The registration draft: what steps 1 to 3 have gathered, kept in the server-side session.

The draft lives on the server only: the SIRET and what INSEE said cannot be altered by the
browser, which sees nothing but the forms' own fields. It is typed and serialises itself; a
draft older than MAX_AGE is dropped and the journey starts over.
"""

import dataclasses
import enum
from datetime import datetime, timedelta

from django.utils import timezone

from structures.identifiers import IdentifierType
from structures.sirene import Establishment
from structures.vies import VatRecord

SESSION_KEY = "registration"
MAX_AGE = timedelta(hours=2)


class Lookup(enum.StrEnum):
    """What step 1 found behind the identifier."""

    FOUND = "found"  # INSEE or VIES knows it: step 2 is filled in
    NOT_PUBLIC = "not_public"  # INSEE refuses to show it: "not diffusible"
    UNAVAILABLE = "unavailable"  # the register could not be asked: verified later
    EXISTING = "existing"  # already a structure of the portal: a join request
    NO_REGISTER = "no_register"  # a type no register can check


class DraftExpired(Exception):
    """The draft was started more than MAX_AGE ago; it has been dropped."""


@dataclasses.dataclass
class Details:
    """Step 2, as validated. The structure's values are empty when it already exists."""

    first_name: str
    last_name: str
    contact_email: str
    phone: str = ""
    company_name: str = ""
    address_line: str = ""
    address_complement: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    non_diffusible: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> "Details":
        names = {field.name for field in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in names}
        values = {key: ("" if value is None else value) for key, value in values.items()}
        values["non_diffusible"] = bool(values.get("non_diffusible"))
        return cls(**values)

    def structure_values(self) -> dict:
        """The new structure's fields, under the model's names."""
        return {
            "name": self.company_name,
            "address_line": self.address_line,
            "address_complement": self.address_complement,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
            "non_diffusible": self.non_diffusible,
        }


@dataclasses.dataclass
class RegistrationDraft:
    email: str
    siret: str  # the SIRET, empty for the other identifier types
    lookup: Lookup
    started_at: datetime = dataclasses.field(default_factory=timezone.now)
    establishment: Establishment | None = None
    identifier_type: str = IdentifierType.SIRET
    identifier: str = ""  # as stored (structures.identifiers.FORMATS), empty without a number
    vat_record: VatRecord | None = None
    # Structure values step 1 settled and step 2 shows without letting them change: the
    # country of a VAT number, a RIDET or a TAHITI number, the name outside the EU.
    fixed: dict = dataclasses.field(default_factory=dict)
    structure_id: int | None = None
    details: Details | None = None
    areas: list[str] | None = None

    @classmethod
    def from_session(cls, session, *, now: datetime | None = None) -> "RegistrationDraft | None":
        """The draft of this browser, None when there is none. Raises DraftExpired (and drops
        it) when it is older than MAX_AGE."""
        data = session.get(SESSION_KEY)
        if not isinstance(data, dict):
            return None
        try:
            draft = cls._from_dict(data)
        except (KeyError, TypeError, ValueError):
            # A draft written by an older version of the portal: start over.
            session.pop(SESSION_KEY, None)
            return None
        if (now or timezone.now()) - draft.started_at > MAX_AGE:
            session.pop(SESSION_KEY, None)
            raise DraftExpired
        return draft

    @classmethod
    def _from_dict(cls, data: dict) -> "RegistrationDraft":
        establishment = data.get("establishment")
        details = data.get("details")
        vat_record = data.get("vat_record")
        return cls(
            email=data["email"],
            siret=data["siret"],
            lookup=Lookup(data["lookup"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            establishment=Establishment.from_dict(establishment) if establishment else None,
            identifier_type=IdentifierType(data.get("identifier_type") or IdentifierType.SIRET),
            identifier=data.get("identifier") or data["siret"],
            vat_record=VatRecord.from_dict(vat_record) if vat_record else None,
            fixed=dict(data.get("fixed") or {}),
            structure_id=data.get("structure_id"),
            details=Details.from_dict(details) if details else None,
            areas=list(data["areas"]) if data.get("areas") is not None else None,
        )

    def to_session(self, session) -> None:
        session[SESSION_KEY] = {
            "email": self.email,
            "siret": self.siret,
            "lookup": str(self.lookup),
            "started_at": self.started_at.isoformat(),
            "establishment": self.establishment.to_dict() if self.establishment else None,
            "identifier_type": str(self.identifier_type),
            "identifier": self.identifier,
            "vat_record": self.vat_record.to_dict() if self.vat_record else None,
            "fixed": self.fixed,
            "structure_id": self.structure_id,
            "details": dataclasses.asdict(self.details) if self.details else None,
            "areas": self.areas,
        }

    @staticmethod
    def drop(session) -> None:
        session.pop(SESSION_KEY, None)

    def step2_initial(self) -> dict:
        """What step 2 shows first: what the person typed before, else what INSEE said."""
        if self.details is not None:
            return dataclasses.asdict(self.details)
        initial = {"contact_email": self.email, "country": "FR"}
        establishment = self.establishment
        if establishment is not None:
            initial.update(
                company_name=establishment.name,
                address_line=establishment.address_line,
                address_complement=establishment.address_complement,
                postal_code=establishment.postal_code,
                city=establishment.city,
                country=establishment.country_code or "FR",
                non_diffusible=not establishment.is_diffusible,
            )
        record = self.vat_record
        if record is not None:
            initial.update(
                company_name=record.name,
                address_line=record.address_line,
                postal_code=record.postal_code,
                city=record.city,
            )
        if self.lookup == Lookup.NOT_PUBLIC:
            initial["non_diffusible"] = True
        for key, value in self.fixed.items():
            initial["company_name" if key == "name" else key] = value
        return initial
