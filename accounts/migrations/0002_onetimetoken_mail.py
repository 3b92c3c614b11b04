"""The outbox moved to its own app and no longer knows links: a link points to its mail."""

import django.db.models.deletion
from django.db import migrations, models


def _link_to_mail(apps, schema_editor):
    OutgoingEmail = apps.get_model("accounts", "OutgoingEmail")
    OneTimeToken = apps.get_model("accounts", "OneTimeToken")
    rows = OutgoingEmail.objects.filter(token__isnull=False).values_list("pk", "token_id")
    for mail_id, token_id in rows.iterator():
        OneTimeToken.objects.filter(pk=token_id).update(mail_id=mail_id)


def _mail_to_link(apps, schema_editor):
    OutgoingEmail = apps.get_model("accounts", "OutgoingEmail")
    OneTimeToken = apps.get_model("accounts", "OneTimeToken")
    rows = OneTimeToken.objects.filter(mail__isnull=False).values_list("pk", "mail_id")
    for token_id, mail_id in rows.iterator():
        OutgoingEmail.objects.filter(pk=mail_id).update(token_id=token_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("outbox", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="onetimetoken",
            name="mail",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="outbox.outgoingemail",
            ),
        ),
        migrations.RunPython(_link_to_mail, _mail_to_link),
    ]
