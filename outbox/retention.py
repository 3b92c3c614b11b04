"""How long the outbox keeps a mail: once it has left (or failed for good), not for long."""

from django.conf import settings

from common.retention import delete_in_batches, retention_limit
from outbox.models import OutgoingEmail


def email_purge_old(*, now=None) -> int:
    """Delete the mails written more than RETENTION_SENT_MAILS_DAYS ago that are no longer
    waiting to leave (sent, failed, or replaced by a newer one); returns how many.

    A pending mail (or one being sent) is never deleted, whatever its age: the send task or the
    sweeper still owes it to someone.
    """
    limit = retention_limit(settings.RETENTION_SENT_MAILS_DAYS, now=now)
    done = [status for status in OutgoingEmail.Status.values if status not in OutgoingEmail.WAITING]
    return delete_in_batches(OutgoingEmail.objects.filter(status__in=done, created_at__lt=limit))
