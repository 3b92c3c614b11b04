"""Sending the outbox: one task per mail, and a sweeper for the rows whose message was lost."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from outbox import kinds
from outbox.models import OutgoingEmail
from outbox.retention import email_purge_old

logger = logging.getLogger(__name__)

# Rows still pending this long after their last planned attempt are queued again.
SWEEP_GRACE = timedelta(minutes=3)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter, capped at 15 minutes."""
    base = settings.MAIL_RETRY_BASE_DELAY * (2 ** max(attempt - 1, 0))
    capped = min(base, 900.0)
    return capped / 2 + random.uniform(0, capped / 2)


def _deliver(email: OutgoingEmail, values: dict[str, str]) -> None:
    message = EmailMultiAlternatives(
        subject=kinds.fill(email.subject, email, values),
        body=kinds.fill(email.body_text, email, values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id} if email.message_id else None,
    )
    if email.body_html:
        message.attach_alternative(kinds.fill(email.body_html, email, values), "text/html")
    message.send(fail_silently=False)


def enqueue_send(email_id: int) -> bool:
    """Hand the row to Celery; when the broker is unreachable, leave it to the sweeper."""
    try:
        send_outgoing_email.apply_async(args=[email_id], retry=False)
    except Exception as exc:  # kombu raises several kinds; none may break the user's request
        logger.warning("outbox: mail %s not queued (%s); the sweeper will send it", email_id, exc)
        return False
    return True


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_outgoing_email(self, email_id: int) -> str:
    """Send one outbox row, at most once.

    The row is locked for the whole send and its status checked first, so a retry, a broker
    redelivery or the sweeper racing the first attempt can never send it twice.
    """
    delay = None
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            logger.info("outbox: mail %s no longer exists", email_id)
            return "missing"
        if email.status != OutgoingEmail.Status.PENDING:
            return email.status
        email.attempts += 1
        try:
            # A savepoint: what the kind's hook wrote (a link's token) is undone when the
            # SMTP server refuses the mail, so no live secret outlives a failed attempt.
            with transaction.atomic():
                values = kinds.slot_values(email)
                if values is not None:
                    _deliver(email, values)
        except Exception as exc:  # SMTP refusals, connection errors, timeouts
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            age = (timezone.now() - email.created_at).total_seconds()
            if age >= settings.MAIL_RETRY_WINDOW:
                email.status = OutgoingEmail.Status.FAILED
                logger.error("outbox: mail %s failed for good: %s", email_id, email.last_error)
            else:
                delay = retry_delay(email.attempts)
                email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
                logger.warning(
                    "outbox: mail %s attempt %s failed (%s), next in %.0fs",
                    email_id,
                    email.attempts,
                    email.last_error,
                    delay,
                )
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        else:
            if values is None:
                email.status = OutgoingEmail.Status.SUPERSEDED
                logger.info("outbox: mail %s not sent, a newer mail replaced it", email_id)
            else:
                email.status = OutgoingEmail.Status.SENT
                email.sent_at = timezone.now()
            email.last_error = ""
            email.next_attempt_at = None
            email.save(
                update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"]
            )
    if delay is not None:
        raise self.retry(countdown=delay)
    return email.status


@shared_task
def requeue_pending_emails() -> int:
    """Queue again the rows still pending: their first queueing may have hit a broker that was
    down at commit time, or a retry may have been lost with a worker."""
    now = timezone.now()
    cutoff = now - SWEEP_GRACE
    stale = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).filter(
        created_at__lt=cutoff
    )
    stale = stale.exclude(next_attempt_at__gt=cutoff)
    count = 0
    for email_id in stale.values_list("pk", flat=True)[:500]:
        if enqueue_send(email_id):
            count += 1
    return count


@shared_task
def purge_old_emails() -> int:
    """Delete the mails that left (or failed) more than RETENTION_SENT_MAILS_DAYS ago."""
    return email_purge_old()
