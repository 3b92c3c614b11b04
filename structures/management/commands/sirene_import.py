"""`manage.py sirene_import PATH [PATH]`: load INSEE's stock files into the Sirene mirror."""

import sys
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from structures.sirene.importer import ImportFailed, Progress, import_stock_file


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--:--"
    return str(timedelta(seconds=round(seconds)))


class Command(BaseCommand):
    help = (
        "Import StockEtablissement_utf8.zip and/or StockUniteLegale_utf8.zip (INSEE's monthly "
        "stock files, .zip or .csv) into the local Sirene mirror. Each file replaces its table "
        "at once when it is fully loaded; a damaged file leaves the mirror as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="stock files, .zip or .csv")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, paths, no_progress, **options):
        for path in paths:
            self.stdout.write(f"Importing {path}...")
            show = None if no_progress else self._progress
            try:
                summary = import_stock_file(path, progress=show)
            except ImportFailed as failure:
                if not no_progress:
                    sys.stderr.write("\n")
                raise CommandError(f"{failure} The current mirror was left untouched.") from None
            if not no_progress:
                sys.stderr.write("\n")
            what = "establishments" if summary.kind == "establishment" else "companies"
            as_of = f", register as of {summary.as_of:%Y-%m-%d}" if summary.as_of else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"{summary.rows:,} {what} imported from {path.name} in "
                    f"{_duration(summary.seconds)} ({summary.rate:,.0f} rows/s{as_of}); "
                    f"peak memory {summary.peak_memory_mb:,.0f} MB."
                )
            )

    @staticmethod
    def _progress(progress: Progress) -> None:
        sys.stderr.write(
            f"\r  {progress.rows:>12,} rows  {progress.rate:>9,.0f} rows/s  "
            f"{progress.fraction:>4.0%}  time left {_duration(progress.seconds_left)}   "
        )
        sys.stderr.flush()
