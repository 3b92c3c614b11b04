"""`manage.py sirene_update`: the establishments INSEE changed since the mirror's date."""

from django.core.management.base import BaseCommand, CommandError

from structures.sirene.update import UpdateFailed, mirror_update


class Command(BaseCommand):
    help = (
        "Ask INSEE's API for the establishments changed since the Sirene mirror's date and "
        "upsert them (the daily beat task does the same)."
    )

    def handle(self, *args, **options):
        try:
            summary = mirror_update()
        except UpdateFailed as failure:
            raise CommandError(f"{failure}. The mirror's date was not moved.") from None
        as_of = f"{summary.as_of:%Y-%m-%d %H:%M}" if summary.as_of else "unknown"
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.changes:,} changes since {summary.since:%Y-%m-%d %H:%M} "
                f"({summary.pages} pages); the mirror is now as of {as_of}."
            )
        )
