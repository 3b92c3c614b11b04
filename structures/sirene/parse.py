"""Turn the body of INSEE's `GET /siret/{siret}` into an `Establishment`.

One parser serves every backend (the real API, the stub file, the fake server in tests), so the
portal sees the same establishment whichever one answered.

Choices worth knowing:
- Every value is read with `.get()`: `masquerValeursNulles=true` drops null keys.
- The literal "[ND]" (a field INSEE hides for a partially diffusible unit) is treated as absent
  everywhere, including in `raw`, which is a copy of the body with those values set to None:
  the snapshot we store must not carry them either.
- The current period is the one whose `dateFin` is null, wherever it sits in the list.
- Company names keep INSEE's casing (it is how the company registered them); an individual
  entrepreneur's name, street names and cities are title-cased the French way
  ("12 bis Quai de la Garonne", "Saint-Etienne", "Aix-en-Provence").
- Paris, Lyon and Marseille lose their arrondissement in `city` ("PARIS 11" -> "Paris").
- CEDEX: `postal_code` and `city` stay geographic (codePostalEtablissement and the commune),
  so they always name a real place and match each other; the CEDEX delivery line
  ("CS 41234, 13272 Marseille CEDEX 08") goes to `address_complement` so nothing is lost.
  When the geographic postal code is missing, the CEDEX code and its city are used instead.
- Abroad: the country is mapped to ISO 3166-1 alpha-2 (explicit table of INSEE codes first, then
  INSEE's French label matched against django-countries' French names); `country_name` is the
  English name. An unknown country gives `country_code=""` and INSEE's label, title-cased.
"""

import functools
import re
import unicodedata
from typing import Any

from django.utils.translation import override
from django_countries import countries

from .types import Establishment, SireneUnavailable

NOT_DIFFUSED = "[ND]"
INDIVIDUAL_ENTREPRENEUR = "1000"
# "P" since March 2023; "N" is the legacy value for the same thing.
NON_DIFFUSIBLE_STATUSES = frozenset({"P", "N"})

# INSEE's abbreviations of street types (typeVoieEtablissement): the historical Sirene list,
# plus the codes that appeared with the 2023 address reform.
STREET_TYPES: dict[str, str] = {
    "ALL": "Allée",
    "AV": "Avenue",
    "AUT": "Autoroute",
    "BD": "Boulevard",
    "BRG": "Bourg",
    "CAR": "Carrefour",
    "CCAL": "Centre commercial",
    "CHE": "Chemin",
    "CHEM": "Cheminement",
    "CHS": "Chaussée",
    "CHV": "Chemin vicinal",
    "CITE": "Cité",
    "CLOS": "Clos",
    "COR": "Corniche",
    "COTE": "Côte",
    "COUR": "Cour",
    "CRS": "Cours",
    "CTRE": "Centre",
    "DOM": "Domaine",
    "DSC": "Descente",
    "ECA": "Écart",
    "ESP": "Esplanade",
    "FG": "Faubourg",
    "GR": "Grande Rue",
    "HAM": "Hameau",
    "HLE": "Halle",
    "ILOT": "Îlot",
    "IMP": "Impasse",
    "LD": "Lieu-dit",
    "LOT": "Lotissement",
    "MAR": "Marché",
    "MTE": "Montée",
    "PARC": "Parc",
    "PAS": "Passage",
    "PASS": "Passage",
    "PL": "Place",
    "PLN": "Plaine",
    "PLT": "Plateau",
    "PONT": "Pont",
    "PORT": "Port",
    "PRO": "Promenade",
    "PRV": "Parvis",
    "PTR": "Petite rue",
    "QUA": "Quartier",
    "QUAI": "Quai",
    "RES": "Résidence",
    "RLE": "Ruelle",
    "ROC": "Rocade",
    "RPT": "Rond-point",
    "RTE": "Route",
    "RUE": "Rue",
    "SEN": "Sente",
    "SENT": "Sentier",
    "SQ": "Square",
    "TPL": "Terre-plein",
    "TRA": "Traverse",
    "VLA": "Villa",
    "VLGE": "Village",
    "VOIE": "Voie",
    "ZA": "Zone d'activité",
    "ZAC": "Zone d'aménagement concerté",
    "ZAE": "Zone d'activité économique",
    "ZI": "Zone industrielle",
    "ZONE": "Zone",
}

# indiceRepetitionEtablissement: B, T, Q, C are bis, ter, quater, quinquies; other letters
# (A, D...) are kept as they are ("12 A").
REPETITION_INDEXES: dict[str, str] = {
    "B": "bis",
    "BIS": "bis",
    "T": "ter",
    "TER": "ter",
    "Q": "quater",
    "QUATER": "quater",
    "C": "quinquies",
    "QUINQUIES": "quinquies",
}

# INSEE country codes (codePaysEtrangerEtablissement, "COG pays") whose label does not match a
# django-countries French name, plus France's main partners so the common cases never depend
# on label matching. Note 99113 is Liechtenstein, Luxembourg is 99137.
INSEE_COUNTRY_CODES: dict[str, str] = {
    "99100": "FR",
    "99101": "DK",
    "99102": "IS",
    "99103": "NO",
    "99104": "SE",
    "99105": "FI",
    "99106": "EE",
    "99107": "LV",
    "99108": "LT",
    "99109": "DE",
    "99110": "AT",
    "99111": "BG",
    "99112": "HU",
    "99113": "LI",
    "99114": "RO",
    "99116": "CZ",
    "99117": "SK",
    "99118": "BA",
    "99119": "HR",
    "99120": "ME",
    "99121": "RS",
    "99122": "PL",
    "99123": "RU",
    "99125": "AL",
    "99126": "GR",
    "99127": "IT",
    "99128": "SM",
    "99129": "VA",
    "99130": "AD",
    "99131": "BE",
    "99132": "GB",
    "99133": "GI",
    "99134": "ES",
    "99135": "NL",
    "99136": "IE",
    "99137": "LU",
    "99138": "MC",
    "99139": "PT",
    "99140": "CH",
    "99144": "MT",
    "99145": "SI",
    "99148": "BY",
    "99151": "MD",
    "99155": "UA",
    "99156": "MK",
    "99157": "XK",
    "99201": "SA",
    "99207": "IL",
    "99208": "TR",
    "99216": "CN",
    "99217": "JP",
    "99223": "IN",
    "99230": "HK",
    "99232": "MO",
    "99236": "TW",
    "99238": "KP",
    "99239": "KR",
    "99243": "VN",
    "99247": "AE",
    "99254": "CY",
    "99257": "KG",
    "99301": "EG",
    "99303": "ZA",
    "99312": "CD",
    "99322": "CM",
    "99323": "CF",
    "99324": "CG",
    "99326": "CI",
    "99331": "BF",
    "99341": "SN",
    "99350": "MA",
    "99351": "TN",
    "99352": "DZ",
    "99391": "SZ",
    "99392": "GW",
    "99401": "CA",
    "99404": "US",
    "99405": "MX",
    "99415": "AR",
    "99416": "BR",
    "99501": "AU",
    "99502": "NZ",
}

# Words kept lower-case inside a French name ("Quai de la Garonne", "Aix-en-Provence").
_SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "et", "en", "sur", "sous", "aux", "au", "lès", "lez"}
)
_PREPOSITIONS = frozenset({"de", "du", "des", "aux", "au", "en", "sur", "sous", "lès", "lez"})
# Abbreviations that must stay capitals in street names and complements.
_KEEP_UPPER = frozenset(
    {"BP", "CS", "TSA", "CEDEX", "ZA", "ZAC", "ZAE", "ZI", "ZAL", "ZUP", "RN", "RD", "CD", "CHU"}
)
# Kings and popes in street names ("Place Louis XIV"); single letters are left alone.
_ROMAN_NUMERALS = frozenset(
    {"II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "XIII", "XIV", "XV", "XVI"}
    | {"XVII", "XVIII", "XIX", "XX", "XXI", "XXII", "XXIII"}
)
_WORD_SEPARATORS = re.compile(r"([\s\-'’]+)")
_APOSTROPHES = ("'", "’")
_ARRONDISSEMENT = re.compile(
    r"^(PARIS|LYON|MARSEILLE)\s+\d{1,2}\s*(ER|E|EME|ÈME)?(\s+ARRONDISSEMENT)?$", re.IGNORECASE
)
_CEDEX_SUFFIX = re.compile(r"\s+CEDEX(\s+\d+)?$", re.IGNORECASE)
_LEADING_POSTAL_CODE = re.compile(r"^(\d{3,6}(?:-\d{3,4})?)\s+(\D.*)$")


def parse_establishment(body: dict) -> Establishment:
    """Build the Establishment described by a `GET /siret/{siret}` response body.

    Raises SireneUnavailable when the body is not an establishment at all (no `etablissement`
    or no SIRET): the register answered, but not with anything we can use.
    """
    etablissement = body.get("etablissement") if isinstance(body, dict) else None
    if not isinstance(etablissement, dict):
        raise SireneUnavailable("INSEE response has no 'etablissement'")
    siret = _text(etablissement, "siret")
    if not siret:
        raise SireneUnavailable("INSEE response has no SIRET")

    unite_legale = _mapping(etablissement, "uniteLegale")
    period = current_period(etablissement.get("periodesEtablissement"))
    address = _address(_mapping(etablissement, "adresseEtablissement"))

    return Establishment(
        siret=siret,
        siren=_text(etablissement, "siren") or siret[:9],
        name=_name(unite_legale, period),
        legal_category=_text(unite_legale, "categorieJuridiqueUniteLegale"),
        is_head_office=_is_true(etablissement.get("etablissementSiege")),
        is_active=_is_active(unite_legale, period),
        is_diffusible=_is_diffusible(etablissement, unite_legale),
        raw=scrub_not_diffused(body),
        **address,
    )


def current_period(periods: Any) -> dict:
    """Return the period whose `dateFin` is null (the current one), or {} if there is none.

    INSEE usually lists it first, but nothing promises it. If no period is open (should not
    happen), the one that started last is the best description of the present.
    """
    if not isinstance(periods, list):
        return {}
    periods = [period for period in periods if isinstance(period, dict)]
    for period in periods:
        if period.get("dateFin") is None:
            return period
    if not periods:
        return {}
    return max(periods, key=lambda period: str(period.get("dateDebut") or ""))


def scrub_not_diffused(value: Any) -> Any:
    """Return a copy of `value` where every string holding "[ND]" is replaced by None."""
    if isinstance(value, dict):
        return {key: scrub_not_diffused(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_not_diffused(item) for item in value]
    if isinstance(value, str) and NOT_DIFFUSED in value:
        return None
    return value


def french_title(text: str, *, capitalise_first: bool = True) -> str:
    """Title-case an upper-case INSEE label the French way.

    "DE LA GARONNE" -> "de la Garonne" (with capitalise_first=False, after a street type;
    "LA FAYETTE" stays "La Fayette" there: only a preposition is lowered first),
    "SAINT-ETIENNE" -> "Saint-Etienne", "AIX-EN-PROVENCE" -> "Aix-en-Provence",
    "L'ISLE-ADAM" -> "L'Isle-Adam", "RUE D'ALSACE" -> "Rue d'Alsace", "LOUIS XIV" -> "Louis XIV".
    """
    parts = _WORD_SEPARATORS.split(" ".join(text.split()))
    result: list[str] = []
    word_index = 0
    for position, part in enumerate(parts):
        if position % 2:  # a separator: keep it, spaces collapsed
            result.append(re.sub(r"\s+", " ", part))
            continue
        if not part:
            continue
        following = parts[position + 1] if position + 1 < len(parts) else ""
        first = word_index == 0
        word_index += 1
        upper, lower = part.upper(), part.lower()
        if upper in _KEEP_UPPER or (upper in _ROMAN_NUMERALS and not first):
            result.append(upper)
        elif not first and (
            lower in _SMALL_WORDS or (lower in {"l", "d"} and following.startswith(_APOSTROPHES))
        ):
            result.append(lower)
        elif (
            first
            and not capitalise_first
            and (lower in _PREPOSITIONS or (lower == "d" and following.startswith(_APOSTROPHES)))
        ):
            # Right after a street type only a preposition is lower-case: "Rue de la Paix",
            # but "Rue La Fayette" and "Lieu-dit Les Grands Champs" are names.
            result.append(lower)
        else:
            result.append(part[:1].upper() + part[1:].lower())
    return "".join(result).strip()


def city_without_arrondissement(city: str) -> str:
    """ "PARIS 11" -> "PARIS", "LYON 3E" -> "LYON", "MARSEILLE 8" -> "MARSEILLE"; others as is."""
    match = _ARRONDISSEMENT.match(city.strip())
    return match.group(1) if match else city


@functools.cache
def _french_country_names() -> dict[str, str]:
    """django-countries' French names, normalised, to their ISO codes."""
    with override("fr"):
        return {_normalise_label(str(country.name)): country.code for country in countries}


def country_from_insee(insee_code: str, label: str) -> tuple[str, str]:
    """Map INSEE's country code and French label to (ISO alpha-2 code, English name).

    The explicit table wins; then the label is compared with django-countries' French names
    (accents, case, hyphens and apostrophes ignored), exactly or as the unique name it starts
    ("ETATS-UNIS" -> "États-Unis d'Amérique"). Unknown: ("", the label title-cased).
    """
    iso_code = INSEE_COUNTRY_CODES.get(insee_code.strip(), "")
    if not iso_code and label:
        names = _french_country_names()
        wanted = _normalise_label(label)
        iso_code = names.get(wanted, "")
        if not iso_code and wanted:
            candidates = {code for name, code in names.items() if name.startswith(wanted + " ")}
            if len(candidates) == 1:
                iso_code = candidates.pop()
    if iso_code:
        with override("en"):
            return iso_code, str(countries.name(iso_code)) or iso_code
    return "", french_title(label)


def _normalise_label(label: str) -> str:
    decomposed = unicodedata.normalize("NFKD", label)
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", ascii_only.upper()).split())


def _text(mapping: dict, key: str) -> str:
    """The value under `key` as a stripped string; "" when missing, null or "[ND]"."""
    value = mapping.get(key)
    if value is None or isinstance(value, dict | list):
        return ""
    value = str(value).strip()
    return "" if NOT_DIFFUSED in value else value


def _mapping(mapping: dict, key: str) -> dict:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _is_active(unite_legale: dict, period: dict) -> bool:
    # The open/closed state of an establishment lives only in its current period.
    state = _text(period, "etatAdministratifEtablissement")
    if state:
        return state == "A"
    return _text(unite_legale, "etatAdministratifUniteLegale") != "C"


def _is_diffusible(etablissement: dict, unite_legale: dict) -> bool:
    statuses = {
        _text(etablissement, "statutDiffusionEtablissement"),
        _text(unite_legale, "statutDiffusionUniteLegale"),
    }
    return not statuses & NON_DIFFUSIBLE_STATUSES


def _person_name(unite_legale: dict) -> str:
    first_name = _text(unite_legale, "prenomUsuelUniteLegale") or _text(
        unite_legale, "prenom1UniteLegale"
    )
    last_name = _text(unite_legale, "nomUsageUniteLegale") or _text(unite_legale, "nomUniteLegale")
    # Capitalise every part of a person's name, particles included ("Le Guen", "De Gaulle"):
    # unlike street names, there is no safe rule for particles in surnames.
    return " ".join(_capitalise_name(part) for part in (first_name, last_name) if part)


def _capitalise_name(name: str) -> str:
    parts = _WORD_SEPARATORS.split(" ".join(name.split()))
    return "".join(
        part if position % 2 else part[:1].upper() + part[1:].lower()
        for position, part in enumerate(parts)
    )


def _name(unite_legale: dict, period: dict) -> str:
    denomination = _text(unite_legale, "denominationUniteLegale")
    is_person = (
        _text(unite_legale, "categorieJuridiqueUniteLegale") == INDIVIDUAL_ENTREPRENEUR
        or not denomination
    )
    candidates = (
        [_person_name(unite_legale), denomination]
        if is_person
        else [denomination, _person_name(unite_legale)]
    )
    candidates += [
        _text(period, "denominationUsuelleEtablissement"),
        _text(period, "enseigne1Etablissement"),
        _text(unite_legale, "denominationUsuelle1UniteLegale"),
    ]
    return next((name for name in candidates if name), "")


def _street_number(address: dict) -> str:
    number = _text(address, "numeroVoieEtablissement")
    if not number:
        return ""
    number += _repetition(_text(address, "indiceRepetitionEtablissement"))
    last = _text(address, "dernierNumeroVoieEtablissement")
    if last and last != _text(address, "numeroVoieEtablissement"):
        number += "-" + last
        number += _repetition(_text(address, "indiceRepetitionDernierNumeroVoieEtablissement"))
    return number


def _repetition(index: str) -> str:
    if not index:
        return ""
    return " " + REPETITION_INDEXES.get(index.upper(), index.upper())


def _address_line(address: dict) -> str:
    type_code = _text(address, "typeVoieEtablissement")
    # An unknown code is kept as INSEE wrote it rather than guessed at.
    street_type = STREET_TYPES.get(type_code.upper(), type_code)
    street_name = french_title(
        _text(address, "libelleVoieEtablissement"), capitalise_first=not street_type
    )
    return " ".join(part for part in (_street_number(address), street_type, street_name) if part)


def _address(address: dict) -> dict[str, str]:
    """The address fields of an Establishment, French or foreign."""
    line = _address_line(address)
    complement_parts = [
        french_title(_text(address, "complementAdresseEtablissement")),
        french_title(_text(address, "distributionSpecialeEtablissement")),
    ]
    postal_code = _text(address, "codePostalEtablissement")
    city = french_title(city_without_arrondissement(_text(address, "libelleCommuneEtablissement")))

    cedex_code = _text(address, "codeCedexEtablissement")
    cedex_city = _text(address, "libelleCedexEtablissement")
    if cedex_code or cedex_city:
        complement_parts.append(" ".join(filter(None, [cedex_code, french_title(cedex_city)])))
        if not postal_code:
            postal_code = cedex_code
        if not city and cedex_city:
            city = french_title(city_without_arrondissement(_CEDEX_SUFFIX.sub("", cedex_city)))

    country_code, country_name = "FR", "France"
    foreign_city = _text(address, "libelleCommuneEtrangerEtablissement")
    insee_country = _text(address, "codePaysEtrangerEtablissement")
    country_label = _text(address, "libellePaysEtrangerEtablissement")
    if foreign_city or insee_country or country_label:
        country_code, country_name = country_from_insee(insee_country, country_label)
        if foreign_city:
            match = _LEADING_POSTAL_CODE.match(foreign_city)
            if match and not postal_code:
                postal_code, foreign_city = match.group(1), match.group(2)
            city = french_title(foreign_city)

    return {
        "address_line": line,
        "address_complement": ", ".join(part for part in complement_parts if part),
        "postal_code": postal_code,
        "city": city,
        "country_code": country_code,
        "country_name": country_name,
    }
