"""`sirene_update`: bring the mirror up to date with the establishments INSEE changed since.

INSEE's API lists the establishments changed since a date:
`GET /siret?q=dateDernierTraitementEtablissement:[<date> TO *]&nombre=1000&curseur=*`, then
`curseur=<curseurSuivant>` until the next cursor is the one just sent. Each answer carries the
establishment with its company's current values (`uniteLegale`), so both tables are upserted.

Within our share of the INSEE quota: every page takes a slot from the shared limiter like any
other request, and the update waits `60 / SIRENE_UPDATE_REQUESTS_PER_MINUTE` seconds between
pages, so the registrations' look-ups of new companies keep the rest of the quota.

The mirror's date (`SireneMirror.as_of`) moves forward only when every page was read: an update
cut short (INSEE unavailable) upserts what it got and the next one asks again from the same date.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from structures.models import SireneMirror

from . import limiter, mirror
from .client import API_KEY_HEADER
from .layout import ESTABLISHMENTS, LEGAL_UNITS, Layout, parse_timestamp
from .parse import current_period
from .types import SireneUnavailable

logger = logging.getLogger("structures.sirene")

PAGE_SIZE = 1000
MAX_ATTEMPTS = 4
LIMITER_WAIT_SECONDS = 5.0
MAX_LIMITER_WAITS = 60

# An indirection so tests need not wait.
_sleep = time.sleep


class UpdateFailed(Exception):
    """The update could not finish; the message says why. What was read is kept."""


@dataclass
class UpdateSummary:
    since: datetime
    changes: int
    pages: int
    as_of: datetime | None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rows_from_api(etablissement: dict) -> tuple[dict[str, str], dict[str, str]]:
    """The mirror's establishment row and company row for one establishment of the API."""
    address = etablissement.get("adresseEtablissement") or {}
    period = current_period(etablissement.get("periodesEtablissement"))
    unit = etablissement.get("uniteLegale") or {}
    merged = {**address, **period, **etablissement}
    establishment_row = {column: _text(merged.get(column)) for column in ESTABLISHMENTS.kept}
    unit_row = {column: _text(unit.get(column)) for column in LEGAL_UNITS.kept}
    unit_row["siren"] = establishment_row["siren"]
    return establishment_row, unit_row


def _upsert(cursor, layout: Layout, rows: list[dict[str, str]]) -> int:
    """Insert or replace rows by their key; return how many were new."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table, key = quote(layout.table), quote(layout.key)
    keys = list({row[layout.key] for row in rows})
    # Names are the layout's constants, quoted; values are parameters.
    placeholders = ", ".join(["%s"] * len(keys))
    cursor.execute(f"SELECT count(*) FROM {table} WHERE {key} IN ({placeholders})", keys)  # noqa: S608
    existing = cursor.fetchone()[0]
    columns = layout.columns
    names = ", ".join(quote(column) for column in columns)
    updates = ", ".join(
        f"{quote(column)} = excluded.{quote(column)}" for column in columns if column != layout.key
    )
    values = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {updates}"  # noqa: S608,E501
    unique = {row[layout.key]: row for row in rows}  # the last one wins
    cursor.executemany(
        sql,
        [
            [*(row[column] for column in layout.kept), layout.search_value(row)]
            for row in unique.values()
        ],
    )
    return len(unique) - existing


def _get(session: requests.Session, url: str, params: dict) -> requests.Response | None:
    """One page, retried on INSEE's passing failures; None when there is nothing (404)."""
    headers = {API_KEY_HEADER: settings.SIRENE_API_KEY, "Accept": "application/json"}
    problem = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        for _wait in range(MAX_LIMITER_WAITS):
            try:
                limiter.acquire()
                break
            except limiter.RateLimited:
                _sleep(LIMITER_WAIT_SECONDS)  # the portal's look-ups come first
        else:
            raise UpdateFailed("our INSEE quota stayed used up; the update will try again")
        try:
            response = session.get(
                url, params=params, headers=headers, timeout=float(settings.SIRENE_TIMEOUT) * 4
            )
        except requests.RequestException as exc:
            problem = type(exc).__name__
        else:
            if response.status_code == 200:
                return response
            if response.status_code == 404:
                return None
            if response.status_code == 401:
                raise UpdateFailed("INSEE refused the API key (401); check SIRENE_API_KEY")
            problem = f"HTTP {response.status_code}"
            if response.status_code not in (429, 500, 502, 503, 504):
                break
        logger.warning("sirene update: %s (attempt %d)", problem, attempt)
        if attempt < MAX_ATTEMPTS:
            _sleep(2.0 * attempt)
    raise UpdateFailed(f"INSEE did not answer the list of changes: {problem}")


def mirror_update(*, since: datetime | None = None) -> UpdateSummary:
    """Upsert the establishments INSEE changed since the mirror's date (or `since`).

    Raises UpdateFailed when there is no mirror to update, no API key, or INSEE cannot be
    read to the end.
    """
    state = SireneMirror.objects.filter(pk=1).first()
    if state is None or not state.establishments:
        raise UpdateFailed("there is no Sirene mirror yet: import a stock file first")
    if not settings.SIRENE_API_KEY:
        raise UpdateFailed("SIRENE_API_KEY is empty: INSEE's API cannot be asked")
    since = since or state.as_of or (timezone.now() - timedelta(days=1))
    # INSEE's dates are French local time.
    local = timezone.localtime(since) if timezone.is_aware(since) else since
    criterion = f"dateDernierTraitementEtablissement:[{local:%Y-%m-%dT%H:%M:%S} TO *]"
    pace = 60.0 / max(settings.SIRENE_UPDATE_REQUESTS_PER_MINUTE, 1)
    url = f"{settings.SIRENE_API_URL}/siret"
    cursor_value, pages, changes = "*", 0, 0
    newest = state.as_of
    added = {ESTABLISHMENTS.kind: 0, LEGAL_UNITS.kind: 0}
    with requests.Session() as session:
        while True:
            if pages:
                _sleep(pace)
            try:
                response = _get(
                    session,
                    url,
                    {"q": criterion, "nombre": PAGE_SIZE, "curseur": cursor_value},
                )
            except SireneUnavailable as exc:
                raise UpdateFailed(f"the INSEE rate limiter is unavailable: {exc}") from exc
            pages += 1
            if response is None:
                break
            try:
                body = response.json()
                header = body["header"]
                items = body.get("etablissements") or []
            except (ValueError, KeyError, TypeError) as exc:
                raise UpdateFailed("INSEE's list of changes is not in the expected form") from exc
            pairs = [rows_from_api(item) for item in items if item.get("siret")]
            with transaction.atomic(), connection.cursor() as cursor:
                added[ESTABLISHMENTS.kind] += _upsert(
                    cursor, ESTABLISHMENTS, [e for e, _u in pairs]
                )
                if state.legal_units:
                    added[LEGAL_UNITS.kind] += _upsert(cursor, LEGAL_UNITS, [u for _e, u in pairs])
            changes += len(pairs)
            for establishment, _unit in pairs:
                changed = parse_timestamp(establishment["dateDernierTraitementEtablissement"])
                if changed and (newest is None or changed > newest):
                    newest = changed
            following = header.get("curseurSuivant")
            if not items or not following or following == cursor_value:
                break
            cursor_value = following
    with transaction.atomic():
        locked = SireneMirror.objects.select_for_update().get(pk=state.pk)
        locked.establishments += added[ESTABLISHMENTS.kind]
        if locked.legal_units:
            locked.legal_units += added[LEGAL_UNITS.kind]
        locked.as_of = newest
        locked.updated_at = timezone.now()
        locked.last_update_changes = changes
        locked.save()
        mirror.forget_state()
        transaction.on_commit(mirror.forget_state)
    logger.info("sirene update: %d changes since %s in %d pages", changes, since, pages)
    return UpdateSummary(since=since, changes=changes, pages=pages, as_of=newest)
