"""The local mailbox: with no mail server configured, mails are written as .eml files under
var/mail/ (and summed up on the console), and the DEBUG-only Mailbox page lists them."""

import email
import email.policy
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe


class LocalMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes())
            sys.stdout.write(
                f"[mail] to {', '.join(message.recipients())}: {message.subject} ({path.name})\n"
            )
            count += 1
        return count


_LINK = re.compile(r"https?://[^\s<>\"]+")


def _linkify(text: str):
    parts, last = [], 0
    for match in _LINK.finditer(text):
        parts.append(escape(text[last : match.start()]))
        url = match.group(0)
        parts.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def _read(path: Path) -> dict:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return {
        "name": path.name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "body": _linkify(text),
    }


def mailbox(request):
    """The mails written under var/mail/, newest first: only while DEBUG is on."""
    if not settings.DEBUG:
        raise Http404
    folder = Path(settings.EMAIL_FILE_PATH)
    files = sorted(folder.glob("*.eml"), reverse=True)[:50] if folder.is_dir() else []
    return render(
        request,
        "outbox/mailbox.html",
        {"mails": [_read(path) for path in files], "local_backend": not settings.EMAIL_URL},
    )
