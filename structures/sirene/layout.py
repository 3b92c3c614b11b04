"""The official layout of INSEE's Sirene stock files (format 3.11) and what the mirror keeps.

INSEE publishes the register each month as open data (Licence Ouverte) on data.gouv.fr:
`StockEtablissement_utf8.zip` (one row per establishment, about 40 million) and
`StockUniteLegale_utf8.zip` (one row per company, about 28 million), CSV with a header row,
comma-separated, UTF-8, empty for null. The establishment file has no company name: the name
lives in the legal-unit file, joined on the SIREN.

The mirror keeps only the columns the portal reads, with INSEE's own names, and its values as
INSEE wrote them ("[ND]" included): the mirror's look-up rebuilds an API answer from them and
runs it through the same parser, so masking and the "partially diffusible" rule are the API's.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

ESTABLISHMENT_COLUMNS = (
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement", "dateDernierTraitementEtablissement",
    "etablissementSiege", "nombrePeriodesEtablissement", "complementAdresseEtablissement",
    "numeroVoieEtablissement", "indiceRepetitionEtablissement", "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement", "distributionSpecialeEtablissement",
    "codeCommuneEtablissement", "codeCedexEtablissement", "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement", "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement", "complementAdresse2Etablissement",
    "numeroVoie2Etablissement", "indiceRepetition2Etablissement", "typeVoie2Etablissement",
    "libelleVoie2Etablissement", "codePostal2Etablissement", "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement", "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement", "codeCedex2Etablissement", "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement", "libellePaysEtranger2Etablissement", "dateDebut",
    "etatAdministratifEtablissement", "enseigne1Etablissement", "enseigne2Etablissement",
    "enseigne3Etablissement", "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
)  # fmt: skip

LEGAL_UNIT_COLUMNS = (
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale",
    "sigleUniteLegale", "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale",
    "prenom3UniteLegale", "prenom4UniteLegale", "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale", "nombrePeriodesUniteLegale",
    "categorieEntreprise", "anneeCategorieEntreprise", "dateDebut",
    "etatAdministratifUniteLegale", "nomUniteLegale", "nomUsageUniteLegale",
    "denominationUniteLegale", "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale", "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale", "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
)  # fmt: skip

NOT_DIFFUSED = "[ND]"
_NOT_WORD = re.compile(r"[^A-Z0-9]+")


def normalise(text: str) -> str:
    """Upper case, no accents, words separated by one space: what search compares.

    "Boulangerie Hélène-d'Arc" -> "BOULANGERIE HELENE D ARC". Computed once at import, so the
    search is accent- and case-insensitive on any database, with a plain or trigram index.
    """
    text = (text or "").replace(NOT_DIFFUSED, " ")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", ascii_only.upper()).split())


def parse_timestamp(value: str) -> datetime | None:
    """INSEE's "2025-03-22T10:31:49.000" (French local time) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@dataclass(frozen=True)
class Layout:
    """One stock file: its official header, the table it fills, the columns kept, the
    search column computed from a row, and the indexes built once the rows are in."""

    kind: str
    table: str
    header: tuple[str, ...]
    key: str
    date_column: str
    kept: tuple[str, ...]
    search_column: str
    indexes: tuple[tuple[str, str], ...]  # (suffix, column list)
    trigram_column: str

    def search_value(self, row: dict[str, str]) -> str:
        if self.kind == "establishment":
            return normalise(row["libelleCommuneEtablissement"])
        return normalise(
            " ".join(
                row[column]
                for column in (
                    "denominationUniteLegale",
                    "sigleUniteLegale",
                    "denominationUsuelle1UniteLegale",
                    "prenomUsuelUniteLegale",
                    "nomUsageUniteLegale",
                    "nomUniteLegale",
                )
            )
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The mirror table's columns, in order."""
        return (*self.kept, self.search_column)


# The establishment columns the mirror keeps, by the part of the API's answer they belong to.
ESTABLISHMENT_IDENTITY = (
    "siret", "siren", "nic", "statutDiffusionEtablissement",
    "dateDernierTraitementEtablissement", "etablissementSiege",
)  # fmt: skip
ESTABLISHMENT_ADDRESS = (
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement", "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement", "libelleVoieEtablissement", "codePostalEtablissement",
    "libelleCommuneEtablissement", "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement", "codeCommuneEtablissement", "codeCedexEtablissement",
    "libelleCedexEtablissement", "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
)  # fmt: skip
ESTABLISHMENT_PERIOD = (
    "etatAdministratifEtablissement", "enseigne1Etablissement", "denominationUsuelleEtablissement",
)  # fmt: skip

ESTABLISHMENTS = Layout(
    kind="establishment",
    table="sirene_establishment",
    header=ESTABLISHMENT_COLUMNS,
    key="siret",
    date_column="dateDernierTraitementEtablissement",
    kept=ESTABLISHMENT_IDENTITY + ESTABLISHMENT_ADDRESS + ESTABLISHMENT_PERIOD,
    search_column="search_city",
    indexes=(("siren", "siren"), ("postal", '"codePostalEtablissement"')),
    trigram_column="",
)

LEGAL_UNITS = Layout(
    kind="legal_unit",
    table="sirene_legal_unit",
    header=LEGAL_UNIT_COLUMNS,
    key="siren",
    date_column="dateDernierTraitementUniteLegale",
    kept=(
        "siren",
        "statutDiffusionUniteLegale",
        "dateDernierTraitementUniteLegale",
        "etatAdministratifUniteLegale",
        "categorieJuridiqueUniteLegale",
        "denominationUniteLegale",
        "sigleUniteLegale",
        "denominationUsuelle1UniteLegale",
        "prenomUsuelUniteLegale",
        "prenom1UniteLegale",
        "nomUniteLegale",
        "nomUsageUniteLegale",
    ),  # fmt: skip
    search_column="search_name",
    indexes=(),
    trigram_column="search_name",
)

LAYOUTS = (ESTABLISHMENTS, LEGAL_UNITS)


def layout_for_header(header: list[str]) -> Layout | None:
    """The layout of a file with this header: the one whose kept columns are all there (INSEE
    adds columns from time to time, so columns are found by name, not by position)."""
    names = set(header)
    for layout in LAYOUTS:
        if set(layout.kept) <= names:
            return layout
    return None
