"""Mails queued before links were minted at sending time still hold their link in clear.

Pending ones get a slot instead (a fresh link is minted when they leave); in the others the
link is erased. The tokens themselves were only ever stored hashed.
"""

import re
import secrets

from django.db import migrations

LINK_KINDS = ("activation", "password_reset", "contact_email_confirmation")
LINK = re.compile(
    r"https?://[^\s\"'<>]+/(?:activate|password/reset|account/contact-email)/[A-Za-z0-9_-]{20,}/"
)


def _forget_link_secrets(apps, schema_editor):
    OutgoingEmail = apps.get_model("outbox", "OutgoingEmail")
    for mail in OutgoingEmail.objects.filter(kind__in=LINK_KINDS).iterator():
        if not any(LINK.search(text) for text in (mail.body_text, mail.body_html)):
            continue
        if mail.status == "pending":
            placeholder = f"slot-link-{secrets.token_hex(16)}"
            mail.slots = {"link": placeholder}
        else:
            placeholder = "[link removed]"
        mail.body_text = LINK.sub(placeholder, mail.body_text)
        mail.body_html = LINK.sub(placeholder, mail.body_html)
        mail.save(update_fields=["body_text", "body_html", "slots"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_outbox_and_audit_moved"),
        ("outbox", "0002_slots_and_superseded"),
    ]

    operations = [migrations.RunPython(_forget_link_secrets, migrations.RunPython.noop)]
