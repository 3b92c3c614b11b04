"""Sending the outbox: one task per mail, and a sweeper for the rows whose message was lost."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from common import metrics
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


def _lease() -> timedelta:
    return timedelta(seconds=settings.MAIL_SENDING_LEASE)


def _claim(email_id: int) -> tuple[OutgoingEmail, dict[str, str]] | str:
    """Take the mail for one attempt: under the row's lock, fill its slots and commit it as
    SENDING with a lease. Returns the row and its slots' values, or the status to report when
    there is nothing to send."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            logger.info("outbox: mail %s no longer exists", email_id)
            return "missing"
        now = timezone.now()
        if email.status == OutgoingEmail.Status.SENDING:
            if email.lease_until and email.lease_until > now:
                return email.status  # another worker is sending it right now
            logger.warning(
                "outbox: mail %s was being sent by a worker that stopped; sending it again "
                "(it may arrive twice, with the same Message-ID %s)",
                email_id,
                email.message_id,
            )
        elif email.status != OutgoingEmail.Status.PENDING:
            return email.status
        values = kinds.slot_values(email)
        if values is None:
            email.status = OutgoingEmail.Status.SUPERSEDED
            email.next_attempt_at = email.lease_until = None
            email.save(update_fields=["status", "next_attempt_at", "lease_until"])
            logger.info("outbox: mail %s not sent, a newer mail replaced it", email_id)
            metrics.MAILS.labels(event="superseded").inc()
            return email.status
        email.status = OutgoingEmail.Status.SENDING
        email.lease_until = now + _lease()
        email.attempts += 1
        email.save(update_fields=["status", "lease_until", "attempts"])
    return email, values


def _attempt_failed(email_id: int, exc: Exception, *, claimed: bool = True) -> float | None:
    """Record a refused attempt: revoke what was minted for it, then pending again with a
    planned retry (its delay is returned), or failed past the retry window. `claimed`: the
    attempt got as far as the SMTP server (else its hook failed and nothing was minted)."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if claimed:
            kinds.undo(email)
        else:
            email.attempts += 1
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        email.lease_until = None
        delay = None
        age = (timezone.now() - email.created_at).total_seconds()
        if age >= settings.MAIL_RETRY_WINDOW:
            email.status = OutgoingEmail.Status.FAILED
            email.next_attempt_at = None
            logger.error("outbox: mail %s failed for good: %s", email.pk, email.last_error)
            metrics.MAILS.labels(event="failed").inc()
        else:
            email.status = OutgoingEmail.Status.PENDING
            delay = retry_delay(email.attempts)
            email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            metrics.MAILS.labels(event="retried").inc()
            logger.warning(
                "outbox: mail %s attempt %s failed (%s), next in %.0fs",
                email.pk,
                email.attempts,
                email.last_error,
                delay,
            )
        email.save(
            update_fields=["attempts", "last_error", "lease_until", "status", "next_attempt_at"]
        )
    return delay


def _attempt_done(email: OutgoingEmail) -> None:
    logger.info("outbox: mail %s (%s) sent to %s", email.pk, email.kind, email.to)
    metrics.MAILS.labels(event="sent").inc()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=OutgoingEmail.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        next_attempt_at=None,
        lease_until=None,
    )


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_outgoing_email(self, email_id: int) -> str:
    """Send one outbox row, at least once and almost always exactly once.

    Before the SMTP server is contacted, the row is marked SENDING with a lease, in a committed
    transaction under its lock: a retry, a broker redelivery or the sweeper racing this attempt
    find it taken and leave it. Only a worker that dies between the SMTP server's acceptance
    and the commit of SENT leaves a mail that the sweeper sends again once the lease is over;
    that copy has the same Message-ID (mail clients show one), and a link it carries replaces
    the first copy's (which then says that a newer link was sent).
    """
    try:
        claim = _claim(email_id)
    except Exception as exc:  # a kind's hook that failed: retried like a refusal
        delay = _attempt_failed(email_id, exc, claimed=False)
    else:
        if isinstance(claim, str):
            return claim
        email, values = claim
        try:
            _deliver(email, values)
        except Exception as exc:  # SMTP refusals, connection errors, timeouts
            delay = _attempt_failed(email_id, exc)
        else:
            _attempt_done(email)
            return OutgoingEmail.Status.SENT
    if delay is not None:
        raise self.retry(countdown=delay)
    return OutgoingEmail.Status.FAILED


@shared_task
def requeue_pending_emails() -> int:
    """Queue again the rows still pending (their first queueing may have hit a broker that was
    down at commit time, or a retry may have been lost with a worker) and those whose worker
    died while sending them (lease over)."""
    now = timezone.now()
    cutoff = now - SWEEP_GRACE
    pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).filter(
        created_at__lt=cutoff
    )
    pending = pending.exclude(next_attempt_at__gt=cutoff)
    # A worker that took a mail and did not finish it before its lease ended has died.
    abandoned = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, lease_until__lt=now
    )
    stale = (pending | abandoned).order_by("pk")
    count = 0
    for email_id in stale.values_list("pk", flat=True)[:500]:
        if enqueue_send(email_id):
            count += 1
    return count


@shared_task
def purge_old_emails() -> int:
    """Delete the mails that left (or failed) more than RETENTION_SENT_MAILS_DAYS ago."""
    return email_purge_old()
