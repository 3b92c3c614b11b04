"""The outbox: every mail is a row first, sent after commit by a Celery task."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """One mail, delivered at least once (see outbox.tasks): a retry, a redelivery or the
    sweeper never sends a mail that left, except when a worker died between the SMTP server's
    answer and the commit of "sent"; then the copy carries the same Message-ID."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Not sent: replaced by a newer mail")

    # Still owed to someone: waiting for its first or next attempt, or in the middle of one.
    WAITING = (Status.PENDING, Status.SENDING)

    # What the mail is about ("activation", "join_request"...): the apps that own a kind may
    # register hooks for it (outbox.kinds).
    kind = models.CharField(max_length=40)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    language = models.CharField(max_length=5, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # While SENDING: until when the worker that took the mail may finish it. Past it, the
    # worker is presumed dead and the sweeper sends the mail again.
    lease_until = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    # {slot name: placeholder left in the text}; the values are filled in at sending time by
    # the hook of the mail's kind (outbox.kinds) and never stored.
    slots = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # The table was created when the outbox lived in accounts; it kept its name.
        db_table = "accounts_outgoingemail"
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["status", "created_at"], name="accounts_ou_status_c40333_idx")
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"
