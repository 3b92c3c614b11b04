"""Failed log-ins recorded by django-axes kept the log-in form's data, password included (the
form's prefix made the field `login-password`, which axes did not mask). Axes is now told the
real field names; this erases what was stored before."""

from django.db import migrations


def _scrub(apps, schema_editor):
    AccessAttempt = apps.get_model("axes", "AccessAttempt")
    AccessAttempt.objects.exclude(post_data="").update(post_data="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_no_link_secret_in_mails"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(_scrub, migrations.RunPython.noop)]
