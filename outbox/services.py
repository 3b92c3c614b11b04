"""Queueing a mail: a row written in the caller's transaction, sent after commit by Celery."""

import secrets
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from common import metrics
from common.text import single_line
from outbox.models import OutgoingEmail
from outbox.tasks import enqueue_send


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_queue(
    *,
    kind: str,
    to: str,
    template: str,
    context: dict,
    language: str = "en",
    user=None,
    slots: tuple[str, ...] = (),
) -> OutgoingEmail:
    """Render `template` (subject, .txt and .html) in `language` and write the outbox row.

    The send task is queued only once the surrounding transaction commits, so a rolled-back
    registration sends nothing, and a broker that is down loses nothing: the sweeper picks the
    row up later.

    Each name in `slots` is rendered as a random placeholder (context[name]) that the hook of
    this kind fills in when the mail leaves (outbox.kinds): what it stands for is never
    stored.
    """
    placeholders = {name: f"slot-{name}-{secrets.token_hex(16)}" for name in slots}
    context = {**context, **placeholders, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = single_line(render_to_string(f"{template}_subject.txt", context))
        body_text = render_to_string(f"{template}.txt", context)
        body_html = render_to_string(f"{template}.html", context)
    email = OutgoingEmail.objects.create(
        kind=kind,
        to=single_line(to),
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
        language=language,
        user=user,
        message_id=make_msgid(domain="chorus-pro.local"),
        slots=placeholders,
    )
    transaction.on_commit(lambda: _queued(email.pk))
    return email


def _queued(email_id: int) -> None:
    metrics.MAILS.labels(event="queued").inc()
    enqueue_send(email_id)
