"""The audit log keeps an event a year (RETENTION_AUDIT_DAYS), a failed log-in or a lock-out
30 days (RETENTION_FAILED_LOGINS_DAYS)."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from audit.models import AuditEvent
from audit.retention import audit_event_purge_old
from audit.tasks import purge_old_audit_events
from chorus.celery import app

pytestmark = pytest.mark.django_db

NOW = timezone.now()
Kind = AuditEvent.Kind


def _event(kind, age: timedelta) -> AuditEvent:
    return AuditEvent.objects.create(kind=kind, email="a@example.org", created_at=NOW - age)


def _kept() -> set[int]:
    return set(AuditEvent.objects.values_list("pk", flat=True))


def test_event_older_than_a_year_is_deleted_younger_kept():
    """An event just over 365 days old is deleted; one just under is kept."""
    _event(Kind.PASSWORD_CHANGE, timedelta(days=365, seconds=1))
    recent = _event(Kind.PASSWORD_CHANGE, timedelta(days=365) - timedelta(seconds=1))
    assert audit_event_purge_old(now=NOW) == 1
    assert _kept() == {recent.pk}


@pytest.mark.parametrize("kind", [Kind.LOGIN_FAILURE, Kind.LOCKOUT])
def test_failed_login_event_older_than_30_days_is_deleted(kind):
    """A failed log-in or lock-out event just over 30 days old is deleted, one just under is
    kept, and other kinds of that age are kept."""
    _event(kind, timedelta(days=30, seconds=1))
    recent = _event(kind, timedelta(days=30) - timedelta(seconds=1))
    success = _event(Kind.LOGIN_SUCCESS, timedelta(days=31))
    assert audit_event_purge_old(now=NOW) == 1
    assert _kept() == {recent.pk, success.pk}


def test_settings_change_the_limits(settings):
    """RETENTION_AUDIT_DAYS and RETENTION_FAILED_LOGINS_DAYS set how long events are kept."""
    settings.RETENTION_AUDIT_DAYS = 90
    settings.RETENTION_FAILED_LOGINS_DAYS = 7
    _event(Kind.PASSWORD_CHANGE, timedelta(days=91))
    kept_change = _event(Kind.PASSWORD_CHANGE, timedelta(days=89))
    _event(Kind.LOGIN_FAILURE, timedelta(days=8))
    kept_failure = _event(Kind.LOGIN_FAILURE, timedelta(days=6))
    assert audit_event_purge_old(now=NOW) == 2
    assert _kept() == {kept_change.pk, kept_failure.pk}


def test_beat_runs_the_purge_every_night():
    """The beat schedule runs the audit purge task once a day, at night."""
    entry = app.conf.beat_schedule["purge-old-audit-events"]
    assert entry["task"] == purge_old_audit_events.name == "audit.tasks.purge_old_audit_events"
    assert isinstance(entry["schedule"], crontab)
    [hour] = entry["schedule"].hour
    assert 0 <= hour < 6
