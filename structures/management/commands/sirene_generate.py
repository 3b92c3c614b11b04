"""`manage.py sirene_generate DIR --rows N`: invented Sirene stock files, official layout."""

from pathlib import Path

from django.core.management.base import BaseCommand

from structures.sirene.generate import write_stock_files


class Command(BaseCommand):
    help = (
        "Write StockEtablissement and StockUniteLegale files in INSEE's official layout, filled "
        "with invented companies (for development, tests and the benchmark)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--rows", type=int, default=2_000, help="establishments")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--csv", action="store_true", help="plain .csv instead of .zip")

    def handle(self, *args, directory, rows, seed, csv, **options):
        paths = write_stock_files(directory, establishments=rows, seed=seed, compressed=not csv)
        for path in paths:
            self.stdout.write(str(path))
