"""The Sirene mirror: import of INSEE's stock files, look-up order, search, daily update."""

import csv
import io
from datetime import datetime
from urllib.parse import unquote_plus

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from structures import tasks
from structures.models import SireneMirror, Structure
from structures.sirene import client, limiter, lookup_establishment, mirror, update
from structures.sirene.generate import siren_for, siret_for
from structures.sirene.importer import ImportFailed, import_stock_file
from structures.sirene.layout import ESTABLISHMENT_COLUMNS, LEGAL_UNIT_COLUMNS
from structures.verification import verify_structure
from tests.factories import StructureFactory
from tests.fakes.insee import FakeInsee
from tests.structures import sirene_files

pytestmark = pytest.mark.django_db

API_KEY = "mirror-key"


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    """The two stock files (zip) of 2,000 invented establishments."""
    return sirene_files.write(tmp_path_factory.mktemp("stock"))


@pytest.fixture(scope="module")
def companies():
    return sirene_files.companies()


@pytest.fixture
def loaded(stock):
    sirene_files.load(stock)
    return stock


@pytest.fixture
def insee(settings):
    """A fake INSEE that knows nothing, the insee backend pointed at it."""
    with FakeInsee({}, api_key=API_KEY) as fake:
        settings.SIRENE_BACKEND = "insee"
        settings.SIRENE_API_URL = fake.url
        settings.SIRENE_API_KEY = API_KEY
        settings.SIRENE_TIMEOUT = 1.0
        yield fake


def table_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a constant
        return cursor.fetchone()[0]


def pick(companies, test):
    """The first (company, establishment) for which test(company, establishment) holds."""
    return next(
        (company, row)
        for company in companies
        for row in company.establishments
        if test(company, row)
    )


# The generator.


def test_generated_files_have_the_official_header_and_valid_numbers(stock):
    """The generator writes INSEE's exact column layout, with Luhn-valid SIRENs and SIRETs."""
    from stdnum.fr import siren, siret

    establishments = list(csv.reader(io.StringIO(sirene_files.csv_text(stock[0]))))
    units = list(csv.reader(io.StringIO(sirene_files.csv_text(stock[1]))))
    assert tuple(establishments[0]) == ESTABLISHMENT_COLUMNS
    assert tuple(units[0]) == LEGAL_UNIT_COLUMNS
    assert len(establishments) == sirene_files.ROWS + 1
    assert all(siret.is_valid(row[2]) for row in establishments[1:])
    assert all(siren.is_valid(row[0]) for row in units[1:])


# The import.


def test_import_loads_both_files_and_records_the_mirror(loaded, companies):
    """Every row lands in its table; the mirror records its counts and the register's date."""
    state = SireneMirror.objects.get()
    assert state.establishments == sirene_files.ROWS == table_count("sirene_establishment")
    assert state.legal_units == len(companies) == table_count("sirene_legal_unit")
    newest = max(
        row["dateDernierTraitementEtablissement"] for c in companies for row in c.establishments
    )
    # INSEE's timestamps are French local time.
    assert state.as_of == timezone.make_aware(datetime.fromisoformat(newest))
    assert state.imported_at is not None
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.SIRENE_MIRROR_IMPORT)
    assert sorted(event.detail["rows"] for event in events) == sorted(
        [sirene_files.ROWS, len(companies)]
    )


def test_a_new_import_replaces_the_whole_table(loaded, tmp_path):
    """Importing a smaller file leaves only its rows: the old table is swapped out."""
    smaller = sirene_files.write(tmp_path, rows=50, seed=99, compressed=False)
    import_stock_file(smaller[0])
    assert table_count("sirene_establishment") == 50
    assert SireneMirror.objects.get().establishments == 50


@pytest.mark.parametrize("compressed", [True, False])
def test_a_truncated_file_stops_and_leaves_the_mirror_untouched(loaded, tmp_path, compressed):
    """A download cut short (zip or csv) is refused with a clear message; nothing changes."""
    other = sirene_files.write(tmp_path / "other", rows=400, seed=3, compressed=compressed)
    cut = sirene_files.truncated_copy(other[0], tmp_path / other[0].name)
    before = SireneMirror.objects.get()
    with pytest.raises(ImportFailed, match="cut short|truncated|damaged|cannot be read"):
        import_stock_file(cut)
    assert table_count("sirene_establishment") == sirene_files.ROWS
    after = SireneMirror.objects.get()
    assert (after.establishments, after.as_of, after.imported_at) == (
        before.establishments,
        before.as_of,
        before.imported_at,
    )


def test_a_csv_cut_at_a_line_end_is_still_refused_when_the_last_line_is_partial(tmp_path, loaded):
    """A csv cut inside its last line (no line end) is a truncated file."""
    path = sirene_files.write(tmp_path, rows=30, compressed=False)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex(",")], encoding="utf-8")
    with pytest.raises(ImportFailed):
        import_stock_file(path)
    assert table_count("sirene_establishment") == sirene_files.ROWS


def test_a_file_that_is_not_a_stock_file_is_refused(tmp_path, loaded):
    """Another CSV is refused by its header before anything is written."""
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="official layout"):
        import_stock_file(path)
    assert table_count("sirene_establishment") == sirene_files.ROWS


def test_a_duplicate_siret_is_refused(tmp_path, loaded):
    """The same SIRET twice means a damaged file: refused, the mirror untouched."""
    path = sirene_files.write(tmp_path, rows=20, compressed=False)[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")
    with pytest.raises(ImportFailed, match="twice"):
        import_stock_file(path)
    assert table_count("sirene_establishment") == sirene_files.ROWS


def test_the_command_prints_progress_and_a_summary(stock, capsys):
    """sirene_import shows rows, rows a second and time left, then a summary."""
    call_command("sirene_import", str(stock[0]))
    out, err = capsys.readouterr()
    assert "rows/s" in err and "time left" in err
    assert f"{sirene_files.ROWS:,} establishments imported" in out
    assert "peak memory" in out


def test_the_command_fails_cleanly_on_a_broken_file(tmp_path):
    """A broken file ends the command with an error saying the mirror is untouched."""
    path = tmp_path / "StockEtablissement_utf8.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="left untouched"):
        call_command("sirene_import", str(path), "--no-progress")


# The look-up order.


def test_a_siret_in_the_mirror_costs_no_insee_request(loaded, companies, insee):
    """Found in the mirror: answered from it, with its date as the source, INSEE not asked."""
    company, row = pick(companies, lambda c, r: c.unit["statutDiffusionUniteLegale"] == "O")
    establishment = lookup_establishment(row["siret"])
    assert establishment.siret == row["siret"]
    assert establishment.source == f"mirror:{SireneMirror.objects.get().as_of.date()}"
    assert establishment.name
    assert insee.count() == 0


def test_a_siret_absent_from_the_mirror_goes_to_the_api(loaded, insee):
    """A company newer than the mirror is asked of INSEE."""
    unknown = siret_for(siren_for(9_999_999), 1)
    with pytest.raises(client.EstablishmentNotFound):
        lookup_establishment(unknown)
    assert insee.count(unknown) == 1


def test_the_mirror_masks_what_the_api_masks(loaded, companies):
    """A partially diffusible unit from the mirror: not diffusible, no "[ND]" anywhere."""
    _company, row = pick(
        companies,
        lambda c, r: (
            c.unit["statutDiffusionUniteLegale"] == "P"
            and c.unit["categorieJuridiqueUniteLegale"] == "1000"
        ),
    )
    establishment = lookup_establishment(row["siret"])
    assert not establishment.is_diffusible
    assert establishment.address_line == "" and establishment.name == ""
    assert "[ND]" not in repr(establishment.to_dict())


def test_a_closed_establishment_in_the_mirror_is_closed(loaded, companies):
    """The open/closed state read from the mirror is the establishment's own."""
    _company, row = pick(companies, lambda c, r: r["etatAdministratifEtablissement"] == "F")
    assert not lookup_establishment(row["siret"]).is_active


def test_without_a_mirror_the_stub_answers_as_before(settings):
    """No mirror and the stub backend: the stub file answers, and says so."""
    settings.SIRENE_BACKEND = "stub"
    establishment = lookup_establishment("52601815590833")
    assert establishment.name == "ATELIERS DU PONT NEUF"
    assert establishment.source == "stub"


# The search.


def test_search_by_name_ignores_accents_and_case(loaded, companies):
    """A company is found by its name typed without accents, in any case."""
    company, _row = pick(
        companies,
        lambda c, r: any(ch in c.unit["denominationUniteLegale"] for ch in "ÉÈÊÀÇ"),
    )
    name = company.unit["denominationUniteLegale"]
    typed = name.lower().translate(str.maketrans("éèêàç", "eeeac"))
    results = mirror.search(typed)
    assert company.establishments[0]["siret"] in {result.siret for result in results} or any(
        result.name == name for result in results
    )
    assert all(result.name.upper() == result.name or result.name for result in results)


def test_search_by_siren_lists_active_establishments_head_office_first(loaded, companies):
    """A SIREN lists the company's active establishments, head office first, closed ones not."""
    company, _row = pick(
        companies,
        lambda c, r: (
            len(c.establishments) == 3
            and c.establishments[0]["etatAdministratifEtablissement"] == "A"
            and c.unit["statutDiffusionUniteLegale"] == "O"
        ),
    )
    results = mirror.search(company.unit["siren"])
    active = [
        r["siret"] for r in company.establishments if r["etatAdministratifEtablissement"] == "A"
    ]
    assert [result.siret for result in results] == active
    assert results[0].is_head_office


def test_search_narrows_by_postal_code_and_city(loaded, companies):
    """A postal code or a city keeps only the establishments there."""
    company, row = pick(
        companies,
        lambda c, r: (
            r["etatAdministratifEtablissement"] == "A"
            and c.unit["denominationUniteLegale"]
            and r["codePostalEtablissement"]
        ),
    )
    name = company.unit["denominationUniteLegale"]
    by_code = mirror.search(name, place=row["codePostalEtablissement"])
    by_city = mirror.search(name, place=row["libelleCommuneEtablissement"].lower())
    assert row["siret"] in {result.siret for result in by_code}
    assert row["siret"] in {result.siret for result in by_city}
    assert all(row["codePostalEtablissement"] in result.address for result in by_code)


def test_search_shows_no_address_for_a_non_diffusible_establishment(loaded, companies):
    """A partially diffusible establishment is listed without its address."""
    company, row = pick(
        companies,
        lambda c, r: (
            c.unit["statutDiffusionUniteLegale"] == "P"
            and r["etatAdministratifEtablissement"] == "A"
        ),
    )
    results = [r for r in mirror.search(company.unit["siren"]) if r.siret == row["siret"]]
    assert results and results[0].address == "" and not results[0].is_diffusible


def test_search_needs_three_letters_and_a_mirror(loaded):
    """Two letters find nothing (the trigram index needs three)."""
    assert mirror.search("ga") == []


def test_search_without_a_mirror_finds_nothing():
    """No mirror: the search answers nothing, it does not fail."""
    assert mirror.search("boulangerie") == []


# The daily update.


def api_item(unit, row, **changes) -> dict:
    """The establishment as INSEE's API lists it among the changes."""
    merged = {**unit, **row, **changes}
    return mirror.body_from_row(merged)["etablissement"]


@pytest.fixture
def paced(monkeypatch):
    """Record the update's waits instead of sleeping them."""
    waits: list[float] = []
    monkeypatch.setattr(update, "_sleep", waits.append)
    return waits


def test_update_upserts_the_changes_page_by_page(loaded, companies, insee, paced, monkeypatch):
    """Changed establishments are replaced, new ones added, cursor followed to the end, each
    page paced within our share of the quota and counted by the shared limiter."""
    monkeypatch.setattr(update, "PAGE_SIZE", 2)
    company, row = pick(companies, lambda c, r: c.unit["statutDiffusionUniteLegale"] == "O")
    newcomer = dict(
        company.unit, siren=siren_for(8_000_000), denominationUniteLegale="NOUVELLE SAS"
    )
    new_row = dict(row, siren=newcomer["siren"], siret=siret_for(newcomer["siren"], 1))
    insee.changes = [
        api_item(company.unit, row, libelleVoieEtablissement="DES CHANGEMENTS",
                 dateDernierTraitementEtablissement="2030-01-02T10:00:00.000"),
        api_item(newcomer, new_row, dateDernierTraitementEtablissement="2030-01-03T09:00:00.000"),
        api_item(company.unit, company.establishments[-1],
                 dateDernierTraitementEtablissement="2030-01-01T08:00:00.000"),
    ]  # fmt: skip
    imported_as_of = SireneMirror.objects.get().as_of
    summary = update.mirror_update()
    assert summary.changes == 3
    assert summary.pages == 3  # 2 + 1, then INSEE's last page (cursor unchanged)
    assert insee.count() == 3 == limiter.used_this_minute()
    assert paced == [6.0, 6.0]  # 60 / SIRENE_UPDATE_REQUESTS_PER_MINUTE between pages
    assert lookup_establishment(row["siret"]).address_line.endswith("des Changements")
    assert lookup_establishment(new_row["siret"]).name == "NOUVELLE SAS"
    state = SireneMirror.objects.get()
    assert state.establishments == sirene_files.ROWS + 1
    assert state.as_of == timezone.make_aware(datetime(2030, 1, 3, 9))
    assert state.last_update_changes == 3
    query = unquote_plus(insee.requests[0].path)
    # Asked since the imported register's date, in INSEE's French local time.
    since = f"{timezone.localtime(imported_as_of):%Y-%m-%dT%H:%M:%S}"
    assert f"dateDernierTraitementEtablissement:[{since} TO *]" in query
    assert "curseur=*" in query


def test_an_update_cut_short_keeps_the_mirror_date(loaded, insee, paced, companies):
    """INSEE failing mid-way: the update stops with an error, the date does not move."""
    company, row = pick(companies, lambda c, r: True)
    insee.changes = [
        api_item(company.unit, row, dateDernierTraitementEtablissement="2030-01-01T00:00:00.000")
    ]
    insee.program("changes", statuses=[503, 503, 503, 503])
    before = SireneMirror.objects.get().as_of
    with pytest.raises(update.UpdateFailed, match="503"):
        update.mirror_update()
    assert SireneMirror.objects.get().as_of == before


def test_the_daily_task_updates_an_imported_mirror(loaded, insee, paced):
    """The beat task updates an imported mirror; the admin sees the date of the update."""
    result = tasks.update_sirene_mirror()
    assert result == {"changes": 0, "pages": 1}
    assert SireneMirror.objects.get().updated_at is not None


def test_the_daily_task_does_nothing_without_a_mirror(insee):
    """No mirror imported: nothing is asked of INSEE."""
    assert tasks.update_sirene_mirror() == {"skipped": "no mirror"}
    assert insee.count() == 0


def test_the_command_reports_the_update(loaded, insee, paced, capsys):
    """sirene_update prints how many changes it brought in."""
    call_command("sirene_update")
    assert "0 changes" in capsys.readouterr().out


def test_the_admin_shows_the_mirror_date_and_row_counts(loaded, admin_client):
    """The admin's Sirene mirror page shows the register's date and both row counts."""
    state = SireneMirror.objects.get()
    page = admin_client.get("/admin/structures/sirenemirror/").content.decode()
    assert f"Sirene mirror of {state.as_of.date().isoformat()}" in page
    assert f"{state.establishments:,}" in page or str(state.establishments) in page
    assert str(state.legal_units) in page or f"{state.legal_units:,}" in page


def test_the_periodic_verification_reads_the_mirror_and_records_it(loaded, companies, insee):
    """A structure left "not verified" is verified from the mirror, which it then names."""
    _company, row = pick(companies, lambda c, r: r["etatAdministratifEtablissement"] == "A")
    structure = StructureFactory(
        siret=row["siret"], siren=row["siren"], verification=Structure.Verification.PENDING
    )
    assert verify_structure(structure) == Structure.Verification.VERIFIED
    structure.refresh_from_db()
    assert structure.insee_source == f"mirror:{SireneMirror.objects.get().as_of.date()}"
    assert insee.count() == 0


def test_the_daily_task_does_nothing_without_an_api_key(loaded, settings, insee):
    """Development (no INSEE key): the imported mirror is left as it is, nothing is asked."""
    settings.SIRENE_API_KEY = ""
    assert tasks.update_sirene_mirror() == {"skipped": "no INSEE API key"}
    assert insee.count() == 0 and SireneMirror.objects.get().updated_at is None
