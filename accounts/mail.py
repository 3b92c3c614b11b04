"""Outgoing mails: written as a row in the caller's transaction, sent after commit by Celery."""

import logging
import re
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import OutgoingEmail

logger = logging.getLogger(__name__)

_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")


def single_line(value: str) -> str:
    """Header values never carry line breaks or control characters (no header injection)."""
    return _LINE_BREAKS.sub(" ", value or "").strip()


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def queue_email(
    *,
    kind: str,
    to: str,
    template: str,
    context: dict,
    language: str = "en",
    user=None,
    token=None,
) -> OutgoingEmail:
    """Render `template` (subject, .txt and .html) in `language` and write the outbox row.

    The send task is queued only once the surrounding transaction commits, so a rolled-back
    registration sends nothing, and a broker that is down loses nothing: the sweeper picks the
    row up later.
    """
    context = {**context, "site_url": settings.SITE_URL}
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
        token=token,
        message_id=make_msgid(domain="chorus-pro.local"),
    )
    transaction.on_commit(lambda: enqueue_send(email.pk))
    return email


def enqueue_send(email_id: int) -> bool:
    """Hand the row to Celery; when the broker is unreachable, leave it to the sweeper."""
    from accounts.tasks import send_outgoing_email

    try:
        send_outgoing_email.apply_async(args=[email_id], retry=False)
    except Exception as exc:  # kombu raises several kinds; none may break the user's request
        logger.warning("outbox: mail %s not queued (%s); the sweeper will send it", email_id, exc)
        return False
    return True
