"""django-axes' log-in records are kept RETENTION_FAILED_LOGINS_DAYS (30 days), then deleted."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from celery.schedules import crontab
from django.utils import timezone

from accounts.retention import failed_login_purge_old
from accounts.tasks import purge_old_failed_logins
from chorus.celery import app

pytestmark = pytest.mark.django_db

NOW = timezone.now()
JUST_OLDER = NOW - timedelta(days=30, seconds=1)
JUST_YOUNGER = NOW - timedelta(days=30) + timedelta(seconds=1)


def _record(model, attempt_time):
    extra = {"get_data": "", "post_data": "", "failures_since_start": 3}
    row = model.objects.create(
        user_agent="Firefox",
        ip_address="203.0.113.7",
        # A record per address: axes keeps one attempt per address, IP and browser.
        username=f"{attempt_time.timestamp()}@example.org",
        **(extra if model is AccessAttempt else {}),
    )
    # attempt_time is auto_now_add: set afterwards.
    model.objects.filter(pk=row.pk).update(attempt_time=attempt_time)
    return row


@pytest.mark.parametrize("model", [AccessAttempt, AccessFailureLog, AccessLog])
def test_record_older_than_30_days_is_deleted_younger_kept(model):
    """An axes record whose attempt is just over 30 days old is deleted; one just under is
    kept."""
    _record(model, JUST_OLDER)
    recent = _record(model, JUST_YOUNGER)
    assert failed_login_purge_old(now=NOW) == 1
    assert list(model.objects.values_list("pk", flat=True)) == [recent.pk]


def test_setting_changes_the_limit(settings):
    """RETENTION_FAILED_LOGINS_DAYS sets how long the records are kept."""
    settings.RETENTION_FAILED_LOGINS_DAYS = 2
    _record(AccessAttempt, NOW - timedelta(days=3))
    recent = _record(AccessAttempt, NOW - timedelta(days=1))
    assert failed_login_purge_old(now=NOW) == 1
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]


def test_beat_runs_the_purge_every_night():
    """The beat schedule runs the purge of axes' records once a day, at night."""
    entry = app.conf.beat_schedule["purge-old-failed-logins"]
    assert entry["task"] == purge_old_failed_logins.name == "accounts.tasks.purge_old_failed_logins"
    assert isinstance(entry["schedule"], crontab)
    [hour] = entry["schedule"].hour
    assert 0 <= hour < 6
