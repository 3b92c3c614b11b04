"""Invented SIRETs for the benchmark, valid for the portal's checksum, and INSEE's answer for each.

Every virtual registration needs a SIRET that nobody used before in the run (a reused one makes
the registration a join request, another journey), so they are numbered: `siret_for(index)`
builds the SIREN 8xxxxxxxc and the SIRET <SIREN>0001c with Luhn check digits (python-stdnum,
as `structures.identifiers` checks them). `InseeBodies` answers for any of them on demand, in
the shape of structures/sirene/sample_establishments.json, so the fake INSEE needs no list.
"""

import json
from pathlib import Path

from stdnum import luhn

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = ROOT / "structures" / "sirene" / "sample_establishments.json"
TEMPLATE_SIRET = "52601815590833"  # an active head office of a company (SAS)

_SIREN_BASE = 80_000_000
_MAX_INDEX = 9_999_999


def siret_for(index: int) -> str:
    """The index-th invented SIRET (0 <= index < 10 million)."""
    if not 0 <= index <= _MAX_INDEX:
        raise ValueError(f"SIRET index out of range: {index}")
    siren8 = f"{_SIREN_BASE + index:08d}"
    siret13 = siren8 + luhn.calc_check_digit(siren8) + "0001"
    return siret13 + luhn.calc_check_digit(siret13)


def index_of(siret: str) -> int | None:
    """The index of an invented SIRET, None for any other string."""
    if len(siret) != 14 or not siret.isdigit():
        return None
    index = int(siret[:8]) - _SIREN_BASE
    if not 0 <= index <= _MAX_INDEX or siret_for(index) != siret:
        return None
    return index


class InseeBodies(dict):
    """INSEE's 200 body for every invented SIRET, built when asked (`.get()` is what the fake
    INSEE server calls). The rest of the template is shared, not copied: bodies are read-only."""

    def __init__(self, sample_file: Path = SAMPLE_FILE, template_siret: str = TEMPLATE_SIRET):
        super().__init__()
        self.template = json.loads(sample_file.read_text(encoding="utf-8"))[template_siret]

    def get(self, siret, default=None):
        index = index_of(siret)
        if index is None:
            return default
        establishment = self.template["etablissement"]
        return {
            "header": self.template["header"],
            "etablissement": {
                **establishment,
                "siren": siret[:9],
                "nic": siret[9:],
                "siret": siret,
                "uniteLegale": {
                    **establishment["uniteLegale"],
                    "denominationUniteLegale": f"BANC D'ESSAI {index}",
                    "sigleUniteLegale": None,
                    "nicSiegeUniteLegale": siret[9:],
                },
            },
        }

    def __contains__(self, siret) -> bool:
        return index_of(siret) is not None

    def __len__(self) -> int:
        return _MAX_INDEX + 1
