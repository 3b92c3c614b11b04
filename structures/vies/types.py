"""What the rest of the portal knows of VIES: a VAT record and the ways a check can fail."""

import re
from dataclasses import asdict, dataclass, field


class ViesError(Exception):
    """Base of every check failure."""


class VatNumberInvalid(ViesError):
    """VIES says the number is not a valid VAT number of its member state."""


class ViesUnavailable(ViesError):
    """VIES or the member state's register could not answer: timeout, 5xx, MS_UNAVAILABLE,
    our own rate limit."""


# VIES writes "---" where a member state does not publish a field (Germany gives no names).
_UNPUBLISHED = {"", "---", "N/A"}
# The last line of a VIES address is usually "<postal code> <city>": a code with a digit.
_POSTAL_CITY = re.compile(r"\A(?P<code>[A-Z]{0,3}-?[0-9][0-9A-Z\- ]{1,9}?)\s+(?P<city>\D.*)\Z")


@dataclass(frozen=True)
class VatRecord:
    number: str  # compacted, with its VIES prefix: "DE136695976"
    country_code: str  # ISO 3166-1 alpha-2
    name: str = ""
    address_line: str = ""
    postal_code: str = ""
    city: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "VatRecord":
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})

    @classmethod
    def from_answer(cls, *, number: str, country_code: str, body: dict) -> "VatRecord":
        """A record from VIES' answer: the name as given, the free-text address split into
        its street lines and, when the last line looks like one, the postal code and city."""
        name = " ".join(str(body.get("name") or "").split())
        lines = [
            " ".join(line.split())
            for line in str(body.get("address") or "").replace("\r", "\n").split("\n")
        ]
        lines = [line for line in lines if line and line not in _UNPUBLISHED]
        postal_code = city = ""
        if lines:
            match = _POSTAL_CITY.match(lines[-1])
            if match:
                postal_code, city = match.group("code").strip(), match.group("city").strip()
                lines = lines[:-1]
        return cls(
            number=number,
            country_code=country_code,
            name="" if name in _UNPUBLISHED else name,
            address_line=", ".join(lines)[:255],
            postal_code=postal_code[:20],
            city=city[:255],
            raw=body,
        )
