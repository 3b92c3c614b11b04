"""The work areas as Chorus Pro shows them to a supplier; editable afterwards in the admin."""

from django.db import migrations

from workareas.catalogue import CATALOGUE, seed_catalogue


def seed(apps, schema_editor):
    seed_catalogue(apps.get_model("workareas", "WorkArea"))


def unseed(apps, schema_editor):
    WorkArea = apps.get_model("workareas", "WorkArea")
    WorkArea.objects.filter(code__in=[row[0] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("workareas", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
