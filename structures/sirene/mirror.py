"""Reading the local Sirene mirror: look-up by SIRET and "Find my company".

The mirror holds INSEE's values as INSEE published them. A look-up rebuilds the body the API
would have sent for the establishment (`GET /siret/{siret}`) and hands it to the same parser,
so "[ND]" masking, names, addresses and the "partially diffusible" rule are exactly the API's.

The tables exist once `sirene_import` has run; before that (and whenever the mirror is
empty) every function here answers "not in the mirror" and the configured backend is asked.
"""

import logging
import re
import time
from dataclasses import dataclass, replace

from django.db import DatabaseError, connection, transaction

from structures.models import SireneMirror

from .layout import (
    ESTABLISHMENT_ADDRESS,
    ESTABLISHMENT_PERIOD,
    ESTABLISHMENTS,
    LEGAL_UNITS,
    normalise,
)
from .parse import parse_establishment
from .types import Establishment, SireneUnavailable

logger = logging.getLogger("structures.sirene")

SEARCH_LIMIT = 20
MIN_SEARCH_LENGTH = 3
MAX_SEARCH_WORDS = 6
SEARCH_TIMEOUT_MS = 2000  # a search slower than this is cut short (SireneUnavailable)
POSTAL_CODE_LENGTH = 5
_UNIT_KEYS = tuple(column for column in LEGAL_UNITS.kept if column != "siren")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# The mirror's description changes once a day at most: each process keeps it STATE_TTL seconds
# rather than reading it again before every look-up.
STATE_TTL = 30.0
_state: tuple[float, SireneMirror | None] | None = None


def mirror_state() -> SireneMirror | None:
    """The mirror's description, or None when no establishment was ever imported."""
    global _state
    now = time.monotonic()
    if _state is not None and _state[0] > now:
        return _state[1]
    state = SireneMirror.objects.filter(pk=1).first()
    if state is not None and not state.establishments:
        state = None
    _state = (now + STATE_TTL, state)
    return state


def forget_state() -> None:
    """Read the mirror's description again at the next look-up (after an import or update)."""
    global _state
    _state = None


def source_label(state: SireneMirror) -> str:
    """What a structure records as its data source when the mirror answered."""
    return f"mirror:{state.as_of.date().isoformat()}" if state.as_of else "mirror"


def _select(state: SireneMirror) -> str:
    columns = [f"e.{_q(column)}" for column in ESTABLISHMENTS.kept]
    join = ""
    if state.legal_units:
        columns += [f"u.{_q(column)}" for column in (*_UNIT_KEYS, LEGAL_UNITS.search_column)]
        join = f" LEFT JOIN {_q(LEGAL_UNITS.table)} u ON u.{_q('siren')} = e.{_q('siren')}"
    # Every name here is one of the layout's constants, quoted; values are always parameters.
    return f"SELECT {', '.join(columns)} FROM {_q(ESTABLISHMENTS.table)} e{join}"  # noqa: S608


def _names(state: SireneMirror) -> tuple[str, ...]:
    if not state.legal_units:
        return ESTABLISHMENTS.kept
    return (*ESTABLISHMENTS.kept, *_UNIT_KEYS, LEGAL_UNITS.search_column)


def body_from_row(row: dict[str, str]) -> dict:
    """The API's `GET /siret/{siret}` body for one row of the mirror ("" read as null)."""

    def value(column: str) -> str | None:
        return row.get(column) or None

    return {
        "etablissement": {
            "siret": row["siret"],
            "siren": row["siren"],
            "nic": value("nic"),
            "statutDiffusionEtablissement": value("statutDiffusionEtablissement"),
            "dateDernierTraitementEtablissement": value("dateDernierTraitementEtablissement"),
            "etablissementSiege": row.get("etablissementSiege") == "true",
            "uniteLegale": {column: value(column) for column in _UNIT_KEYS},
            "adresseEtablissement": {column: value(column) for column in ESTABLISHMENT_ADDRESS},
            "periodesEtablissement": [
                {"dateFin": None, **{column: value(column) for column in ESTABLISHMENT_PERIOD}}
            ],
        }
    }


def lookup(siret: str) -> Establishment | None:
    """The establishment under this SIRET in the mirror; None when the mirror is empty or
    does not hold it. Raises SireneUnavailable when the mirror cannot be read."""
    try:
        state = mirror_state()
        if state is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(f"{_select(state)} WHERE e.{_q('siret')} = %s", [siret])
            found = cursor.fetchone()
    except DatabaseError as exc:
        logger.error("sirene mirror unreadable: %s", exc)
        raise SireneUnavailable("the Sirene mirror cannot be read") from exc
    if found is None:
        return None
    establishment = parse_establishment(body_from_row(dict(zip(_names(state), found, strict=True))))
    return replace(establishment, source=source_label(state))


@dataclass(frozen=True)
class SearchResult:
    """One establishment found: what a person needs to recognise their own."""

    siret: str
    name: str
    address: str  # "" when the establishment is not diffusible
    is_head_office: bool
    is_diffusible: bool


def _result(row: dict[str, str]) -> SearchResult:
    establishment = parse_establishment(body_from_row(row))
    address = ""
    if establishment.is_diffusible:
        place = " ".join(filter(None, [establishment.postal_code, establishment.city]))
        address = ", ".join(filter(None, [establishment.address_line, place]))
        if establishment.country_code != "FR":
            address = ", ".join(filter(None, [address, establishment.country_name]))
    return SearchResult(
        siret=establishment.siret,
        name=establishment.name,
        address=address,
        is_head_office=establishment.is_head_office,
        is_diffusible=establishment.is_diffusible,
    )


_DIGITS = re.compile(r"[0-9]+")


def _place_condition(place: str) -> tuple[str, str] | None:
    """The condition (and its parameter) keeping establishments at a postal code or city."""
    place_words = normalise(place)
    if not place_words:
        return None
    digits = place_words.replace(" ", "")
    if _DIGITS.fullmatch(digits) and len(digits) == POSTAL_CODE_LENGTH:
        # Equality, so that the postal code's index can lead when the name is a common one.
        return f"e.{_q('codePostalEtablissement')} = %s", digits
    if _DIGITS.fullmatch(digits):
        return f"e.{_q('codePostalEtablissement')} LIKE %s", digits + "%"
    return f"e.{_q('search_city')} LIKE %s", place_words + "%"


def _fetch(state: SireneMirror, conditions: list[str], params: list[str], tail: str) -> list[dict]:
    sql = f"{_select(state)} WHERE {' AND '.join(conditions)} {tail}"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A search that finds no index to use must not hold a connection for long.
            cursor.execute(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}")
        cursor.execute(sql, params)
        names = _names(state)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def search(query: str, *, place: str = "", limit: int = SEARCH_LIMIT) -> list[SearchResult]:
    """Active establishments matching a company name (with an optional postal code or city),
    a SIREN (all its active establishments, head office first) or a SIRET.

    Accent- and case-insensitive: both sides are normalised (layout.normalise). By name, the
    names that start with what was typed come first (a prefix index finds them), then names
    holding every word typed (the trigram index); neither query sorts all the matches, so a
    common word costs no more than a rare one. Names shorter than MIN_SEARCH_LENGTH characters
    find nothing. Raises SireneUnavailable when the mirror cannot be read.
    """
    compact = re.sub(r"[\s.]", "", query or "")
    words = normalise(query).split()
    phrase = " ".join(words)
    active = f"e.{_q('etatAdministratifEtablissement')} = 'A'"
    name = f"u.{_q('search_name')}"
    try:
        state = mirror_state()
        if state is None:
            return []
        conditions, params = [active], []
        where = _place_condition(place)
        if where is not None:
            conditions.append(where[0])
            params.append(where[1])
        if _DIGITS.fullmatch(compact) and len(compact) in (9, 14):
            column = "siren" if len(compact) == 9 else "siret"
            rows = _fetch(
                state,
                [*conditions, f"e.{_q(column)} = %s"],
                [*params, compact],
                f"ORDER BY e.{_q('etablissementSiege')} DESC, e.{_q('siret')} LIMIT {int(limit)}",
            )
        elif not state.legal_units or len(phrase) < MIN_SEARCH_LENGTH:
            return []
        else:
            rows = _fetch(
                state,
                [*conditions, f"{name} LIKE %s"],
                [*params, phrase + "%"],
                f"LIMIT {int(limit)}",
            )
            # Only words of 3 letters or more can use the trigram index; a handful is enough.
            words = [word for word in words if len(word) >= MIN_SEARCH_LENGTH][:MAX_SEARCH_WORDS]
            if words and len(rows) < limit:
                rows += _fetch(
                    state,
                    [*conditions, *[f"{name} LIKE %s"] * len(words), f"{name} NOT LIKE %s"],
                    [*params, *[f"%{word}%" for word in words], phrase + "%"],
                    f"LIMIT {int(limit) - len(rows)}",
                )
            rows.sort(
                key=lambda row: (
                    row["search_name"] != phrase,
                    not row["search_name"].startswith(phrase),
                    len(row["search_name"]),
                    row["etablissementSiege"] != "true",
                    row["siret"],
                )
            )
    except DatabaseError as exc:
        logger.error("sirene mirror search failed: %s", exc)
        raise SireneUnavailable("the Sirene mirror cannot be read") from exc
    return [_result(row) for row in rows]
