"""The mail rows and the audit events now belong to the outbox and audit apps (same tables)."""

from django.db import migrations


class Migration(migrations.Migration):
    # Apart from 0002: PostgreSQL refuses to alter a table with pending trigger events.
    dependencies = [
        ("accounts", "0002_onetimetoken_mail"),
    ]

    operations = [
        migrations.RemoveField(model_name="outgoingemail", name="token"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="OutgoingEmail"),
            ],
            database_operations=[],
        ),
    ]
