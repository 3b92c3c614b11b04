"""The one parser of INSEE's GET /siret/{siret} body, over each kind of establishment."""

import copy
import json
from pathlib import Path

import pytest

from structures.sirene import Establishment, SireneUnavailable
from structures.sirene.parse import (
    city_without_arrondissement,
    country_from_insee,
    current_period,
    french_title,
    parse_establishment,
)

SAMPLES_FILE = (
    Path(__file__).resolve().parents[2] / "structures" / "sirene" / "sample_establishments.json"
)
SAMPLES: dict[str, dict] = json.loads(SAMPLES_FILE.read_text(encoding="utf-8"))

HEAD_OFFICE = "52601815590833"
SECONDARY = "52601815500055"
INDIVIDUAL = "81234567600017"
PARTIALLY_DIFFUSIBLE = "84321987400016"
CLOSED = "41298765300018"
FOREIGN = "88765432500018"
LA_POSTE = "35600000041231"
PARIS = "79456123300014"
CEDEX = "50987654600029"


def body(siret: str) -> dict:
    """A fresh copy of a sample body, safe to modify."""
    return copy.deepcopy(SAMPLES[siret])


def parse(siret: str) -> Establishment:
    return parse_establishment(body(siret))


def with_address(**fields) -> dict:
    """The head office's body with its address fields replaced."""
    data = body(HEAD_OFFICE)
    address = data["etablissement"]["adresseEtablissement"]
    for key in address:
        address[key] = None
    address.update(fields)
    return data


def drop_nulls(value):
    """What masquerValeursNulles=true does: null keys are not sent at all."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value


def test_company_head_office():
    """A company's head office: INSEE name, expanded street, complement, city, head office."""
    establishment = parse(HEAD_OFFICE)
    assert establishment == Establishment(
        siret=HEAD_OFFICE,
        siren="526018155",
        name="ATELIERS DU PONT NEUF",
        legal_category="5710",
        is_head_office=True,
        address_line="12 bis Quai de la Garonne",
        address_complement="Batiment B",
        postal_code="31000",
        city="Toulouse",
        country_code="FR",
        country_name="France",
        is_active=True,
        is_diffusible=True,
    )
    assert establishment.raw == SAMPLES[HEAD_OFFICE]


def test_secondary_establishment_of_the_same_company():
    """A secondary establishment shares the SIREN and name but is not the head office."""
    head_office, secondary = parse(HEAD_OFFICE), parse(SECONDARY)
    assert secondary.siren == head_office.siren
    assert secondary.name == head_office.name
    assert head_office.is_head_office and not secondary.is_head_office
    assert (secondary.address_line, secondary.postal_code, secondary.city) == (
        "45 Avenue Felix Faure",
        "69003",
        "Lyon",
    )


def test_individual_entrepreneur_name_from_first_and_last_name():
    """Category 1000 without denomination: the name is the person's, nicely capitalised."""
    establishment = parse(INDIVIDUAL)
    assert establishment.legal_category == "1000"
    assert establishment.name == "Marie Dupont"
    assert establishment.address_line == "7 ter Rue de la Resistance"
    assert establishment.city == "Saint-Etienne"


def test_individual_entrepreneur_prefers_usage_name_and_falls_back_to_first_given_name():
    """nomUsage wins over nom; without prenomUsuel, prenom1 is used; compound names keep caps."""
    data = body(INDIVIDUAL)
    unite = data["etablissement"]["uniteLegale"]
    unite.update(
        prenomUsuelUniteLegale=None,
        prenom1UniteLegale="JEAN-PIERRE",
        nomUniteLegale="DUPONT",
        nomUsageUniteLegale="LE GUEN",
    )
    assert parse_establishment(data).name == "Jean-Pierre Le Guen"


def test_individual_entrepreneur_category_wins_over_a_denomination():
    """For category 1000 the person's name is used even if a denomination is present."""
    data = body(INDIVIDUAL)
    data["etablissement"]["uniteLegale"]["denominationUniteLegale"] = "MD GRAPHISME EI"
    assert parse_establishment(data).name == "Marie Dupont"


def test_partially_diffusible_has_no_nd_anywhere():
    """A "P" unit: [ND] values never reach any field, raw included, and it is not diffusible."""
    establishment = parse(PARTIALLY_DIFFUSIBLE)
    assert "[ND]" in json.dumps(SAMPLES[PARTIALLY_DIFFUSIBLE])  # the sample does carry them
    assert "[ND]" not in json.dumps(establishment.to_dict())
    assert establishment.is_diffusible is False
    assert establishment.name == ""
    assert establishment.address_line == ""
    assert establishment.address_complement == ""
    # What INSEE still shows is kept.
    assert (establishment.postal_code, establishment.city) == ("33000", "Bordeaux")
    assert establishment.raw["etablissement"]["uniteLegale"]["nomUniteLegale"] is None
    assert establishment.raw["etablissement"]["adresseEtablissement"][
        "codePostalEtablissement"
    ] == ("33000")


def test_nd_company_name_falls_back_to_the_sign():
    """When the denomination is [ND], the current period's sign is the name."""
    data = body(HEAD_OFFICE)
    data["etablissement"]["uniteLegale"]["denominationUniteLegale"] = "[ND]"
    assert parse_establishment(data).name == "ADPN MENUISERIE"


@pytest.mark.parametrize(
    "establishment_status, unit_status, diffusible",
    [("O", "O", True), ("P", "O", False), ("O", "P", False), ("N", "O", False), ("O", "N", False)],
)
def test_diffusion_status(establishment_status, unit_status, diffusible):
    """Either status "P" (or legacy "N") makes the establishment not diffusible."""
    data = body(HEAD_OFFICE)
    data["etablissement"]["statutDiffusionEtablissement"] = establishment_status
    data["etablissement"]["uniteLegale"]["statutDiffusionUniteLegale"] = unit_status
    assert parse_establishment(data).is_diffusible is diffusible


def test_closed_establishment():
    """The current period says "F": the establishment is closed."""
    assert parse(CLOSED).is_active is False


def test_current_period_is_found_wherever_it_is_in_the_list():
    """The open period (dateFin null) decides, not the first one of the list."""
    data = body(CLOSED)
    periods = data["etablissement"]["periodesEtablissement"]
    assert periods[0]["dateFin"] is not None  # the sample puts the current period second
    assert parse_establishment(data).is_active is False
    periods.reverse()
    assert parse_establishment(data).is_active is False

    # And the other way round: an old closed period listed first does not close it.
    periods[0].update(etatAdministratifEtablissement="A")
    periods[1].update(etatAdministratifEtablissement="F")
    periods.reverse()
    assert periods[0]["etatAdministratifEtablissement"] == "F"
    assert parse_establishment(data).is_active is True


def test_sign_comes_from_the_current_period_only():
    """Name fallback uses the current period's sign, not an older one listed first."""
    data = body(SECONDARY)
    unite = data["etablissement"]["uniteLegale"]
    unite["denominationUniteLegale"] = None
    unite["categorieJuridiqueUniteLegale"] = "5710"
    periods = data["etablissement"]["periodesEtablissement"]
    periods[0]["enseigne1Etablissement"] = "OLD SIGN"
    assert parse_establishment(data).name == "ADPN LYON"


def test_usual_name_of_the_establishment_comes_before_its_sign():
    """denominationUsuelleEtablissement is preferred to enseigne1Etablissement."""
    data = body(HEAD_OFFICE)
    data["etablissement"]["uniteLegale"]["denominationUniteLegale"] = None
    current_period(data["etablissement"]["periodesEtablissement"])[
        "denominationUsuelleEtablissement"
    ] = "ATELIER TOULOUSE"
    assert parse_establishment(data).name == "ATELIER TOULOUSE"


def test_current_period_without_open_period_takes_the_latest():
    """With no open period (bad data), the most recent one describes the present."""
    periods = [
        {"dateDebut": "2010-01-01", "dateFin": "2015-12-31", "etatAdministratifEtablissement": "A"},
        {"dateDebut": "2016-01-01", "dateFin": "2020-12-31", "etatAdministratifEtablissement": "F"},
    ]
    assert current_period(periods)["etatAdministratifEtablissement"] == "F"
    assert current_period(None) == {}


def test_foreign_address():
    """A German address: ISO code and English name, postal code split from the city."""
    establishment = parse(FOREIGN)
    assert (establishment.country_code, establishment.country_name) == ("DE", "Germany")
    assert (establishment.postal_code, establishment.city) == ("10117", "Berlin")
    assert establishment.address_line == "68 Friedrichstrasse"


@pytest.mark.parametrize(
    "insee_code, label, expected",
    [
        ("99109", "ALLEMAGNE", ("DE", "Germany")),
        ("99132", "ROYAUME-UNI", ("GB", "United Kingdom")),
        ("99404", "ETATS-UNIS", ("US", "United States of America")),
        ("99137", "LUXEMBOURG", ("LU", "Luxembourg")),
        ("99113", "LIECHTENSTEIN", ("LI", "Liechtenstein")),
        ("", "ETATS-UNIS", ("US", "United States of America")),
        ("", "ROYAUME-UNI", ("GB", "United Kingdom")),
        ("", "PAYS-BAS", ("NL", "Netherlands")),
        ("", "COTE D'IVOIRE", ("CI", "Côte d'Ivoire")),
        ("", "GRECE", ("GR", "Greece")),
        ("", "ATLANTIDE", ("", "Atlantide")),
    ],
)
def test_country_mapping(insee_code, label, expected):
    """INSEE's code first, then its French label against django-countries' French names."""
    assert country_from_insee(insee_code, label) == expected


def test_la_poste_establishment():
    """A La Poste SIRET (sum-of-digits rule) parses like any other."""
    establishment = parse(LA_POSTE)
    assert (establishment.siren, establishment.name) == ("356000000", "LA POSTE")
    assert establishment.address_line == "8 Avenue de l'Union Sovietique"
    assert establishment.city == "Clermont-Ferrand"


def test_paris_arrondissement_and_number_range():
    """ "PARIS 11" becomes "Paris"; a number range "47-49" is kept."""
    establishment = parse(PARIS)
    assert (establishment.postal_code, establishment.city) == ("75011", "Paris")
    assert establishment.address_line == "47-49 Boulevard Voltaire"
    assert establishment.address_complement == "Cour de l'Horloge"


def test_cedex_keeps_the_geographic_postal_code_and_puts_the_delivery_in_the_complement():
    """CEDEX: postal code and city stay geographic; CS and CEDEX line go to the complement."""
    establishment = parse(CEDEX)
    assert (establishment.postal_code, establishment.city) == ("13008", "Marseille")
    assert establishment.address_complement == "CS 41234, 13272 Marseille CEDEX 08"


def test_cedex_without_geographic_postal_code_uses_the_cedex():
    """Without a geographic postal code and commune, the CEDEX code and its city are used."""
    data = with_address(
        numeroVoieEtablissement="140",
        typeVoieEtablissement="AV",
        libelleVoieEtablissement="DU PRADO",
        codeCedexEtablissement="13272",
        libelleCedexEtablissement="MARSEILLE CEDEX 08",
    )
    establishment = parse_establishment(data)
    assert (establishment.postal_code, establishment.city) == ("13272", "Marseille")


@pytest.mark.parametrize(
    "commune, city",
    [
        ("PARIS 11", "Paris"),
        ("PARIS 1ER", "Paris"),
        ("LYON 3E", "Lyon"),
        ("MARSEILLE 8", "Marseille"),
        ("MARSEILLE 08", "Marseille"),
        ("SAINT-ETIENNE", "Saint-Etienne"),
        ("AIX-EN-PROVENCE", "Aix-en-Provence"),
        ("LE HAVRE", "Le Havre"),
        ("L'ISLE-ADAM", "L'Isle-Adam"),
        ("LES SABLES-D'OLONNE", "Les Sables-d'Olonne"),
        ("BOULOGNE-SUR-MER", "Boulogne-sur-Mer"),
    ],
)
def test_city_names(commune, city):
    """Cities lose their arrondissement and are title-cased the French way."""
    data = with_address(codePostalEtablissement="00000", libelleCommuneEtablissement=commune)
    assert parse_establishment(data).city == city


def test_arrondissement_is_only_removed_from_the_three_cities():
    """A number after another city's name is not taken for an arrondissement."""
    assert city_without_arrondissement("PARIS 20") == "PARIS"
    assert city_without_arrondissement("ROUEN 2") == "ROUEN 2"


@pytest.mark.parametrize(
    "number, index, street_type, street_name, expected",
    [
        ("12", "B", "QUAI", "DE LA GARONNE", "12 bis Quai de la Garonne"),
        ("3", "T", "CHE", "DES VIGNES", "3 ter Chemin des Vignes"),
        ("5", "Q", "BD", "DU GENERAL DE GAULLE", "5 quater Boulevard du General de Gaulle"),
        ("8", "A", "RTE", "DE LYON", "8 A Route de Lyon"),
        ("1", None, "ALL", "DES TILLEULS", "1 Allée des Tilleuls"),
        ("2", None, "IMP", "D'ALSACE", "2 Impasse d'Alsace"),
        ("4", None, "RUE", "LA FAYETTE", "4 Rue La Fayette"),
        ("9", None, "PL", "LOUIS XIV", "9 Place Louis XIV"),
        ("10", None, "CRS", "MIRABEAU", "10 Cours Mirabeau"),
        ("11", None, "SQ", "DES ARTS ET METIERS", "11 Square des Arts et Metiers"),
        (None, None, "LD", "LES GRANDS CHAMPS", "Lieu-dit Les Grands Champs"),
        (None, None, "ZI", "DE LA PLAINE", "Zone industrielle de la Plaine"),
        (None, None, "ZAC", "DU GRAND CHENE", "Zone d'aménagement concerté du Grand Chene"),
        ("6", None, "XYZ", "DU MOULIN", "6 XYZ du Moulin"),
        ("7", None, None, "LA GRANDE RUE", "7 La Grande Rue"),
    ],
)
def test_street_line(number, index, street_type, street_name, expected):
    """Number, repetition index, expanded street type and French-cased street name."""
    data = with_address(
        numeroVoieEtablissement=number,
        indiceRepetitionEtablissement=index,
        typeVoieEtablissement=street_type,
        libelleVoieEtablissement=street_name,
    )
    assert parse_establishment(data).address_line == expected


def test_french_title_keeps_acronyms():
    """Postal abbreviations stay in capitals in a complement."""
    assert french_title("ZI DE LA PLAINE BP 12") == "ZI de la Plaine BP 12"


def test_missing_keys_as_with_masquer_valeurs_nulles():
    """With null keys dropped (masquerValeursNulles), the result is the same."""
    for siret in (HEAD_OFFICE, INDIVIDUAL, PARTIALLY_DIFFUSIBLE, FOREIGN, CEDEX):
        full = parse(siret).to_dict()
        sparse = parse_establishment(drop_nulls(body(siret))).to_dict()
        full.pop("raw"), sparse.pop("raw")
        assert sparse == full, siret


def test_minimal_body_gives_defaults():
    """A body with only a SIRET parses to an establishment with defaults, never a KeyError."""
    establishment = parse_establishment({"etablissement": {"siret": HEAD_OFFICE}})
    assert establishment.siren == "526018155"
    assert establishment.name == ""
    assert (establishment.country_code, establishment.is_active) == ("FR", True)


@pytest.mark.parametrize("bad", [{}, {"header": {"statut": 404}}, {"etablissement": {}}, []])
def test_body_without_establishment_is_an_unavailable_register(bad):
    """A body that is not an establishment is not silently turned into an empty one."""
    with pytest.raises(SireneUnavailable):
        parse_establishment(bad)


def test_to_dict_round_trip():
    """An establishment survives to_dict/from_dict (what a cache or a session would do)."""
    establishment = parse(HEAD_OFFICE)
    assert Establishment.from_dict(establishment.to_dict()) == establishment
