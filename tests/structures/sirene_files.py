"""Invented Sirene stock files for the mirror's tests, and helpers to pick rows from them."""

import zipfile
from pathlib import Path

from structures.sirene.generate import InventedCompany, invented_register, write_stock_files
from structures.sirene.importer import import_stock_file

ROWS = 2_000
SEED = 7


def companies(rows: int = ROWS, seed: int = SEED) -> list[InventedCompany]:
    """The companies written in the files of the same size and seed."""
    return list(invented_register(rows, seed=seed))


def write(directory: Path, rows: int = ROWS, seed: int = SEED, compressed: bool = True):
    return write_stock_files(directory, establishments=rows, seed=seed, compressed=compressed)


def load(paths) -> None:
    for path in paths:
        import_stock_file(path)


def truncated_copy(path: Path, target: Path, *, keep: float = 0.6) -> Path:
    """The first `keep` share of a file's bytes, as a download cut short would leave it."""
    data = path.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def csv_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(archive.infolist()[0]).decode("utf-8")
