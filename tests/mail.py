"""Mails in tests: the outbox rows are sent through the real send task, run in this process,
so that the links they carry are minted as in production (at sending time)."""

import re

from django.core import mail

from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email


def deliver(**filters) -> list:
    """Send the pending mails matching `filters`, oldest first; return the messages that
    reached Django's test mailbox."""
    before = len(mail.outbox)
    pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING, **filters)
    for pk in pending.order_by("pk").values_list("pk", flat=True):
        send_outgoing_email.apply(args=[pk])
    return mail.outbox[before:]


def last_link(to: str, path: str) -> str:
    """The newest link to `path` (for example "/activate/") in the mails received by `to`,
    after sending the pending ones."""
    deliver(to=to)
    pattern = re.compile(rf"https?://[^\s\"<]+{re.escape(path)}[A-Za-z0-9_\-]+/")
    for message in reversed(mail.outbox):
        if to in message.to:
            match = pattern.search(message.body)
            if match:
                return match.group(0)
    raise AssertionError(f"no {path} link was mailed to {to}")
