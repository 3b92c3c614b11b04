"""`sirene_import`: load an official Sirene stock file into the mirror, replacing it at once.

How, whatever the size of the file (the national establishment file has about 40 million rows):
- the file is read as a stream, straight out of the .zip when it is one, row by row: memory
  stays flat;
- the rows go into a new table (`COPY` on PostgreSQL, batched inserts elsewhere), then its
  indexes are built (a trigram index on PostgreSQL for the search by name);
- then, in the same transaction, the new table takes the place of the old one. Until that
  commit the portal keeps answering from the old table; if anything goes wrong (a damaged or
  truncated file, a duplicate SIRET, a full disk), the transaction is rolled back and the
  current mirror is left exactly as it was.

A truncated file is recognised by a last line cut short (no line end, or fewer columns), a
bad CRC or an early end of the compressed stream in a .zip.
"""

import csv
import io
import re
import resource
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from structures.models import SireneMirror

from .layout import ESTABLISHMENTS, Layout, layout_for_header, parse_timestamp
from .mirror import forget_state

BATCH_ROWS = 5_000
PROGRESS_EVERY_SECONDS = 0.5
_KEY_FORMATS = {"siret": re.compile(r"[0-9]{14}"), "siren": re.compile(r"[0-9]{9}")}


class ImportFailed(Exception):
    """The file cannot be imported; the message says why in plain words. Nothing changed."""


@dataclass
class Progress:
    rows: int
    bytes_read: int
    bytes_total: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def fraction(self) -> float:
        return min(self.bytes_read / self.bytes_total, 1.0) if self.bytes_total else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.fraction <= 0:
            return None
        return self.seconds * (1 - self.fraction) / self.fraction


@dataclass
class ImportSummary:
    kind: str
    rows: int
    seconds: float
    as_of: datetime | None
    peak_memory_mb: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class _CountingFile(io.RawIOBase):
    """The file on disk, counting the bytes read (for the progress bar of a .zip)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.raw.seek(offset, whence)
        return self.position

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.position = self.raw.tell()
        return count


class _Lines:
    """The text lines of the file, remembering whether the last one ended properly."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.last = ""
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            self.number += 1
            self.last = line
            yield line


def _open_text(path: Path, counting: _CountingFile) -> IO[str]:
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(counting)
        members = [info for info in archive.infolist() if info.filename.endswith(".csv")]
        if len(members) != 1:
            raise ImportFailed(f"{path.name} should hold one .csv file, it holds {len(members)}.")
        return io.TextIOWrapper(archive.open(members[0]), encoding="utf-8", newline="")
    if path.suffix == ".zip":
        raise ImportFailed(f"{path.name} is not a readable zip file (damaged or truncated).")
    return io.TextIOWrapper(io.BufferedReader(counting), encoding="utf-8", newline="")


def import_stock_file(
    path: Path, *, progress: Callable[[Progress], None] | None = None
) -> ImportSummary:
    """Replace the mirror's table for this file (establishments or companies) by its rows.

    Raises ImportFailed, the mirror untouched, when the file is missing, not a stock file,
    damaged or truncated.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path} does not exist or is not a file.")
    started = time.monotonic()
    bytes_total = path.stat().st_size
    with path.open("rb") as raw:
        counting = _CountingFile(raw)
        try:
            text = _open_text(path, counting)
            lines = _Lines(text)
            reader = csv.reader(lines, strict=True)
            header = next(reader, None)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise ImportFailed(f"{path.name} cannot be read: {exc}.") from exc
        except csv.Error as exc:
            raise ImportFailed(f"{path.name}: the header row is damaged ({exc}).") from exc
        layout = layout_for_header(header or [])
        if layout is None:
            raise ImportFailed(
                f"{path.name} is not a Sirene stock file in the official layout "
                "(StockEtablissement or StockUniteLegale, format 3.11): its header does not "
                "name the expected columns."
            )

        def report(rows: int) -> None:
            if progress is not None:
                progress(Progress(rows, counting.position, bytes_total, time.monotonic() - started))

        rows_seen, as_of = _load(layout, header, reader, lines, path, report)
    seconds = time.monotonic() - started
    report_final = Progress(rows_seen, bytes_total, bytes_total, seconds)
    if progress is not None:
        progress(report_final)
    return ImportSummary(
        kind=layout.kind,
        rows=rows_seen,
        seconds=seconds,
        as_of=as_of,
        peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def _rows(layout: Layout, header: list[str], reader, lines: _Lines, path: Path, state: dict):
    """The kept values of each row, checked; `state` collects the newest change date."""
    width = len(header)
    positions = [header.index(column) for column in layout.kept]
    key_position = header.index(layout.key)
    key_format = _KEY_FORMATS[layout.key]
    date_position = header.index(layout.date_column)
    newest = ""
    try:
        for row in reader:
            if len(row) != width:
                if not row:
                    continue
                raise ImportFailed(
                    f"{path.name}, line {lines.number}: {len(row)} columns instead of {width}. "
                    "The file is damaged or was cut short; download it again."
                )
            if not key_format.fullmatch(row[key_position]):
                raise ImportFailed(
                    f"{path.name}, line {lines.number}: {row[key_position]!r} is not a "
                    f"{layout.key.upper()}. The file is damaged; download it again."
                )
            if row[date_position] > newest:
                newest = row[date_position]
            values = [row[position] for position in positions]
            named = dict(zip(layout.kept, values, strict=True))
            values.append(layout.search_value(named))
            yield values
    except csv.Error as exc:
        raise ImportFailed(
            f"{path.name}, line {lines.number}: {exc}. The file is damaged or was cut short."
        ) from exc
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ImportFailed(
            f"{path.name} could not be read to the end ({exc}): damaged or cut short."
        ) from exc
    if lines.last and not lines.last.endswith("\n"):
        raise ImportFailed(
            f"{path.name}: the last line is cut short (no line end). The file was truncated; "
            "download it again."
        )
    state["newest"] = newest


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def create_table_sql(layout: Layout, table: str) -> str:
    """The DDL of a mirror table: every column text, "" for null as in INSEE's files."""
    columns = ", ".join(f"{_quote(column)} text NOT NULL DEFAULT ''" for column in layout.columns)
    return f"CREATE TABLE {_quote(table)} ({columns})"


def _load(layout, header, reader, lines, path, report) -> tuple[int, datetime | None]:
    # Index names are unique in a schema: the new table's must differ from the current one's.
    stamp = f"{timezone.now():%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    new_table = f"{layout.table}_new"
    state: dict = {}
    rows = _rows(layout, header, reader, lines, path, state)
    count = 0
    last_report = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(new_table)}")
            cursor.execute(create_table_sql(layout, new_table))
            columns = ", ".join(_quote(column) for column in layout.columns)
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {_quote(new_table)} ({columns}) FROM STDIN") as copy:
                    for values in rows:
                        copy.write_row(values)
                        count += 1
                        if not count % 10_000 and time.monotonic() - last_report > 0.5:
                            last_report = time.monotonic()
                            report(count)
            else:
                placeholders = ", ".join(["%s"] * len(layout.columns))
                sql = f"INSERT INTO {_quote(new_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
                batch: list[list[str]] = []
                for values in rows:
                    batch.append(values)
                    count += 1
                    if len(batch) >= BATCH_ROWS:
                        cursor.executemany(sql, batch)
                        batch.clear()
                        report(count)
                if batch:
                    cursor.executemany(sql, batch)
            if not count:
                raise ImportFailed(f"{path.name} holds no rows: nothing to import.")
            report(count)
            _build_indexes(cursor, layout, new_table, stamp)
            _swap(cursor, layout, new_table, stamp)
            as_of = parse_timestamp(state.get("newest", ""))
            _record(layout, count, as_of)
            audit.record(
                AuditEvent.Kind.SIRENE_MIRROR_IMPORT,
                file=path.name,
                table=layout.table,
                rows=count,
                as_of=as_of.isoformat() if as_of else "",
            )
            forget_state()
            transaction.on_commit(forget_state)
    except DatabaseError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "duplicate" in str(exc) or "UNIQUE" in str(exc):
            raise ImportFailed(
                f"{path.name}: the same {layout.key.upper()} appears twice. The file is damaged."
            ) from exc
        raise ImportFailed(f"The database refused the import: {message}") from exc
    return count, parse_timestamp(state.get("newest", ""))


def _build_indexes(cursor, layout: Layout, table: str, stamp: str) -> None:
    prefix = f"{layout.table}_{stamp}"
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cursor.execute(
        f"CREATE UNIQUE INDEX {_quote(prefix + '_key')} ON {_quote(table)} ({_quote(layout.key)})"
    )
    for suffix, columns in layout.indexes:
        cursor.execute(
            f"CREATE INDEX {_quote(f'{prefix}_{suffix}')} ON {_quote(table)} ({columns})"
        )
    if layout.trigram_column:
        column = _quote(layout.trigram_column)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE INDEX {_quote(prefix + '_trgm')} ON {_quote(table)} "
                f"USING gin ({column} gin_trgm_ops)"
            )
            # Names that start with what was typed, whatever the database's collation.
            cursor.execute(
                f"CREATE INDEX {_quote(prefix + '_prefix')} ON {_quote(table)} "
                f"({column} text_pattern_ops)"
            )
        else:
            cursor.execute(f"CREATE INDEX {_quote(prefix + '_name')} ON {_quote(table)} ({column})")
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {_quote(table)}")


def _swap(cursor, layout: Layout, new_table: str, stamp: str) -> None:
    """The new table takes the old one's name; the old one goes (same transaction)."""
    if layout.table in connection.introspection.table_names(cursor):
        old_table = f"{layout.table}_old_{stamp}"
        cursor.execute(f"ALTER TABLE {_quote(layout.table)} RENAME TO {_quote(old_table)}")
        cursor.execute(f"ALTER TABLE {_quote(new_table)} RENAME TO {_quote(layout.table)}")
        cursor.execute(f"DROP TABLE {_quote(old_table)}")
    else:
        cursor.execute(f"ALTER TABLE {_quote(new_table)} RENAME TO {_quote(layout.table)}")


def _record(layout: Layout, count: int, as_of: datetime | None) -> None:
    mirror, _created = SireneMirror.objects.select_for_update().get_or_create(pk=1)
    mirror.imported_at = timezone.now()
    if layout is ESTABLISHMENTS:
        mirror.establishments = count
        mirror.as_of = as_of
    else:
        mirror.legal_units = count
    mirror.save()
