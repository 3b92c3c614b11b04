"""Invented Sirene stock files in the exact official layout, of any size.

For tests, `make run` and the benchmark: the two files INSEE publishes
(StockUniteLegale and StockEtablissement, see layout.py), filled with invented companies that
look like the register: head offices and secondary establishments, closed ones, ceased
companies, individual entrepreneurs, partially diffusible units ("[ND]" where INSEE hides a
value), a few establishments abroad, accented names. SIRENs start with 9 and every SIREN and
SIRET passes the Luhn check. The same `seed` gives the same files.

Rows are written as they are made: memory stays flat whatever the size.
"""

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stdnum import luhn

from .layout import ESTABLISHMENT_COLUMNS, LEGAL_UNIT_COLUMNS, NOT_DIFFUSED

ESTABLISHMENT_FILE = "StockEtablissement_utf8"
LEGAL_UNIT_FILE = "StockUniteLegale_utf8"

_TRADES = (
    "Boulangerie", "Garage", "Menuiserie", "Transports", "Conseil", "Atelier", "Pharmacie",
    "Cabinet", "Électricité", "Plomberie", "Café", "Hôtel", "Librairie", "Imprimerie",
    "Informatique", "Fromagerie", "Maçonnerie", "Traiteur", "Couverture", "Paysages",
)  # fmt: skip
_SURNAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Lefèvre", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
    "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Müller", "Hénaff",
    "Le Guen", "Chevalier", "Gauthier", "Perrin", "Morin", "Clément", "Noël", "Gaillard",
)  # fmt: skip
_FIRST_NAMES = (
    "Jean", "Marie", "Hélène", "Loïc", "Zoé", "Léa", "Chloé", "Hugo", "Jérôme", "Anaïs",
    "François", "Émilie", "Noémie", "Raphaël", "Inès", "Théo", "Maëlle", "Cédric",
)  # fmt: skip
_SYLLABLES = (
    "ka", "ro", "vi", "ta", "lu", "mé", "do", "ri", "sa", "no", "bel", "tor", "mi", "za", "pé",
    "gor", "li", "nu", "vo", "fa", "tek", "lor", "qui", "ber",
)  # fmt: skip
_FORMS = (("5710", "SAS"), ("5499", "SARL"), ("5599", "SA"), ("5498", "EURL"), ("6540", "SCI"))
_STREETS = (
    ("RUE", "DE LA REPUBLIQUE"), ("AV", "JEAN JAURES"), ("BD", "VICTOR HUGO"),
    ("PL", "DU MARCHE"), ("QUAI", "DE LA GARONNE"), ("RTE", "DE PARIS"), ("CHE", "DES VIGNES"),
    ("IMP", "DES LILAS"), ("ALL", "DES TILLEULS"), ("RUE", "DU GENERAL DE GAULLE"),
    ("ZI", "DES ESSARTS"), ("RUE", "SAINT-MICHEL"), ("AV", "DE L'EUROPE"),
)  # fmt: skip
_PLACES = (
    ("75011", "75111", "PARIS 11"), ("75015", "75115", "PARIS 15"), ("69003", "69383", "LYON 3E"),
    ("13008", "13208", "MARSEILLE 8"), ("31000", "31555", "TOULOUSE"),
    ("33000", "33063", "BORDEAUX"), ("44000", "44109", "NANTES"), ("59000", "59350", "LILLE"),
    ("67000", "67482", "STRASBOURG"), ("42000", "42218", "SAINT-ETIENNE"),
    ("13090", "13001", "AIX-EN-PROVENCE"), ("35000", "35238", "RENNES"),
    ("29200", "29019", "BREST"), ("21000", "21231", "DIJON"), ("74000", "74010", "ANNECY"),
    ("97400", "97411", "SAINT-DENIS"), ("20000", "2A004", "AJACCIO"),
    ("64100", "64102", "BAYONNE"), ("87000", "87085", "LIMOGES"), ("06000", "06088", "NICE"),
)  # fmt: skip
_ABROAD = (("99109", "ALLEMAGNE", "10115 BERLIN"), ("99131", "BELGIQUE", "1000 BRUXELLES"))
_HIDDEN_ADDRESS = (
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "typeVoieEtablissement", "libelleVoieEtablissement",
)  # fmt: skip


def siren_for(index: int) -> str:
    """The invented SIREN number `index` (9 digits starting with 9, Luhn-valid)."""
    base = f"9{index:07d}"
    return base + luhn.calc_check_digit(base)


def siret_for(siren: str, number: int) -> str:
    """The invented SIRET of the `number`-th establishment (from 1) of a SIREN."""
    base = f"{siren}{number:04d}"
    return base + luhn.calc_check_digit(base)


@dataclass
class InventedCompany:
    unit: dict[str, str]
    establishments: list[dict[str, str]]


def _timestamp(rng: random.Random) -> str:
    return (
        f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.000"
    )


def _invented_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _unit(rng: random.Random, siren: str) -> dict[str, str]:
    unit = dict.fromkeys(LEGAL_UNIT_COLUMNS, "")
    person = rng.random() < 0.25
    hidden = rng.random() < 0.03
    ceased = rng.random() < 0.05
    unit.update(
        siren=siren,
        statutDiffusionUniteLegale="P" if hidden else "O",
        unitePurgeeUniteLegale="",
        dateCreationUniteLegale=f"{rng.randint(1970, 2025)}-{rng.randint(1, 12):02d}-01",
        dateDernierTraitementUniteLegale=_timestamp(rng),
        nombrePeriodesUniteLegale=str(rng.randint(1, 4)),
        dateDebut=f"{rng.randint(2000, 2025)}-01-01",
        etatAdministratifUniteLegale="C" if ceased else "A",
        activitePrincipaleUniteLegale="47.24Z",
        nomenclatureActivitePrincipaleUniteLegale="NAFRev2",
        caractereEmployeurUniteLegale=rng.choice("NO"),
    )
    if person:
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
        unit.update(
            categorieJuridiqueUniteLegale="1000",
            sexeUniteLegale=rng.choice("MF"),
            prenom1UniteLegale=first.upper(),
            prenomUsuelUniteLegale=first.upper(),
            nomUniteLegale=last.upper(),
        )
        if hidden:
            for column in ("prenom1UniteLegale", "prenomUsuelUniteLegale", "nomUniteLegale"):
                unit[column] = NOT_DIFFUSED
            unit["sexeUniteLegale"] = NOT_DIFFUSED
    else:
        code, form = rng.choice(_FORMS)
        shape = rng.random()
        if shape < 0.4:
            name = f"{rng.choice(_TRADES)} {rng.choice(_SURNAMES)}"
        elif shape < 0.7:
            name = f"{_invented_word(rng)} {rng.choice(_TRADES)}"
        else:
            name = f"{_invented_word(rng)} {_invented_word(rng)}"
        unit.update(
            categorieJuridiqueUniteLegale=code,
            denominationUniteLegale=name.upper(),
            sigleUniteLegale=form if rng.random() < 0.2 else "",
        )
    return unit


def _establishment(
    rng: random.Random, unit: dict[str, str], siret: str, *, head_office: bool
) -> dict[str, str]:
    row = dict.fromkeys(ESTABLISHMENT_COLUMNS, "")
    closed = unit["etatAdministratifUniteLegale"] == "C" or rng.random() < 0.08
    row.update(
        siren=unit["siren"],
        nic=siret[9:],
        siret=siret,
        statutDiffusionEtablissement=unit["statutDiffusionUniteLegale"],
        dateCreationEtablissement=unit["dateCreationUniteLegale"],
        dateDernierTraitementEtablissement=_timestamp(rng),
        etablissementSiege="true" if head_office else "false",
        nombrePeriodesEtablissement="1",
        dateDebut=unit["dateDebut"],
        etatAdministratifEtablissement="F" if closed else "A",
        activitePrincipaleEtablissement=unit["activitePrincipaleUniteLegale"],
        nomenclatureActivitePrincipaleEtablissement="NAFRev2",
        caractereEmployeurEtablissement=unit["caractereEmployeurUniteLegale"],
    )
    if rng.random() < 0.01:
        country, label, city = rng.choice(_ABROAD)
        row.update(
            codePaysEtrangerEtablissement=country,
            libellePaysEtrangerEtablissement=label,
            libelleCommuneEtrangerEtablissement=city,
            libelleVoieEtablissement="HAUPTSTRASSE 5" if country == "99109" else "RUE NEUVE 12",
        )
    else:
        street_type, street = rng.choice(_STREETS)
        postal_code, commune, city = rng.choice(_PLACES)
        # About 6,000 postal codes in all, as in France, so that a postal code is as selective
        # as a real one (the places' names stay those of the list).
        postal_code = f"{postal_code[:2]}{rng.randrange(300):03d}"
        row.update(
            numeroVoieEtablissement=str(rng.randint(1, 180)),
            indiceRepetitionEtablissement="B" if rng.random() < 0.05 else "",
            typeVoieEtablissement=street_type,
            libelleVoieEtablissement=street,
            codePostalEtablissement=postal_code,
            libelleCommuneEtablissement=city,
            codeCommuneEtablissement=commune,
        )
        if rng.random() < 0.1:
            row["complementAdresseEtablissement"] = f"BATIMENT {rng.choice('ABCD')}"
    if unit["statutDiffusionUniteLegale"] == "P":
        for column in _HIDDEN_ADDRESS:
            row[column] = NOT_DIFFUSED
    if not head_office and rng.random() < 0.3:
        row["enseigne1Etablissement"] = f"{rng.choice(_TRADES).upper()} {rng.choice(_PLACES)[2]}"
    return row


def invented_register(establishments: int, *, seed: int = 0) -> Iterator[InventedCompany]:
    """Companies with `establishments` establishments in all (1 to 3 each, head office
    first), one at a time."""
    rng = random.Random(seed)
    made = index = 0
    while made < establishments:
        siren = siren_for(index)
        index += 1
        unit = _unit(rng, siren)
        count = min(rng.choice((1, 1, 1, 2, 2, 3)), establishments - made)
        rows = [
            _establishment(rng, unit, siret_for(siren, number + 1), head_office=number == 0)
            for number in range(count)
        ]
        unit["nicSiegeUniteLegale"] = rows[0]["nic"]
        made += count
        yield InventedCompany(unit=unit, establishments=rows)


class _StockWriter:
    """A stock file being written, as .csv or inside a .zip, row by row."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self._zip = None
        if path.suffix == ".zip":
            self._zip = zipfile.ZipFile(
                path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
            )
            binary = self._zip.open(path.stem + ".csv", "w", force_zip64=True)
            self._file = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        else:
            self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(columns)

    def write(self, row: dict[str, str]) -> None:
        self._writer.writerow([row[column] for column in self.columns])

    def close(self) -> None:
        self._file.close()
        if self._zip is not None:
            self._zip.close()


def write_stock_files(
    directory: Path, *, establishments: int, seed: int = 0, compressed: bool = True
) -> tuple[Path, Path]:
    """Write StockEtablissement and StockUniteLegale (zip or csv) for an invented register of
    `establishments` establishments; return their paths (establishments, legal units)."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".zip" if compressed else ".csv"
    establishment_path = directory / f"{ESTABLISHMENT_FILE}{suffix}"
    unit_path = directory / f"{LEGAL_UNIT_FILE}{suffix}"
    establishment_file = _StockWriter(establishment_path, ESTABLISHMENT_COLUMNS)
    unit_file = _StockWriter(unit_path, LEGAL_UNIT_COLUMNS)
    try:
        for company in invented_register(establishments, seed=seed):
            unit_file.write(company.unit)
            for row in company.establishments:
                establishment_file.write(row)
    finally:
        establishment_file.close()
        unit_file.close()
    return establishment_path, unit_path
