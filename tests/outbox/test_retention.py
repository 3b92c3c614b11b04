"""The outbox keeps a mail that left (or failed) for RETENTION_SENT_MAILS_DAYS, then forgets it."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from chorus.celery import app
from common.retention import delete_in_batches
from outbox.models import OutgoingEmail
from outbox.retention import email_purge_old
from outbox.tasks import purge_old_emails

pytestmark = pytest.mark.django_db

NOW = timezone.now()
JUST_OLDER = NOW - timedelta(days=30, seconds=1)
JUST_YOUNGER = NOW - timedelta(days=30) + timedelta(seconds=1)


def _mail(status, created_at) -> OutgoingEmail:
    return OutgoingEmail.objects.create(
        kind="help_ack",
        to="someone@example.org",
        subject="Your question",
        body_text="Hello",
        status=status,
        created_at=created_at,
    )


@pytest.mark.parametrize("status", [OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED])
def test_mail_older_than_30_days_is_deleted_younger_kept(status):
    """A sent or failed mail written just over 30 days ago is deleted; one just under is kept."""
    old = _mail(status, JUST_OLDER)
    recent = _mail(status, JUST_YOUNGER)
    assert email_purge_old(now=NOW) == 1
    assert not OutgoingEmail.objects.filter(pk=old.pk).exists()
    assert OutgoingEmail.objects.filter(pk=recent.pk).exists()


def test_pending_mail_is_never_deleted():
    """A mail still waiting to leave is kept, however old."""
    pending = _mail(OutgoingEmail.Status.PENDING, NOW - timedelta(days=400))
    assert email_purge_old(now=NOW) == 0
    assert OutgoingEmail.objects.filter(pk=pending.pk).exists()


def test_setting_changes_the_limit(settings):
    """RETENTION_SENT_MAILS_DAYS sets how long a sent mail is kept."""
    settings.RETENTION_SENT_MAILS_DAYS = 7
    eight_days = _mail(OutgoingEmail.Status.SENT, NOW - timedelta(days=8))
    six_days = _mail(OutgoingEmail.Status.SENT, NOW - timedelta(days=6))
    assert email_purge_old(now=NOW) == 1
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [six_days.pk]
    assert not OutgoingEmail.objects.filter(pk=eight_days.pk).exists()


def test_purge_goes_through_every_batch():
    """More old mails than a batch holds are all deleted, a batch at a time."""
    for _ in range(5):
        _mail(OutgoingEmail.Status.SENT, JUST_OLDER)
    _mail(OutgoingEmail.Status.PENDING, JUST_OLDER)
    old_done = OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.PENDING)
    assert delete_in_batches(old_done, batch_size=2) == 5
    assert list(OutgoingEmail.objects.values_list("status", flat=True)) == ["pending"]


def test_beat_runs_the_purge_every_night():
    """The beat schedule runs the outbox purge task once a day, at night."""
    entry = app.conf.beat_schedule["purge-old-emails"]
    assert entry["task"] == purge_old_emails.name == "outbox.tasks.purge_old_emails"
    assert isinstance(entry["schedule"], crontab)
    [hour] = entry["schedule"].hour
    assert 0 <= hour < 6
