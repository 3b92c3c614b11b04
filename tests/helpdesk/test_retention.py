"""A question dealt with is kept RETENTION_HELP_QUESTIONS_DAYS (a year), then forgotten."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from chorus.celery import app
from helpdesk.models import Question
from helpdesk.retention import question_purge_old
from helpdesk.tasks import purge_old_questions

pytestmark = pytest.mark.django_db

NOW = timezone.now()
JUST_OLDER = NOW - timedelta(days=365, seconds=1)
JUST_YOUNGER = NOW - timedelta(days=365) + timedelta(seconds=1)
LONG_AGO = NOW - timedelta(days=800)


def _question(status, *, created_at=LONG_AGO, replied_at=None) -> Question:
    return Question.objects.create(
        name="Claire Martin",
        email="claire@example.org",
        subject=Question.Subject.PASSWORD,
        message="I no longer know my answer.",
        status=status,
        created_at=created_at,
        replied_at=replied_at,
        reply="Use the forgotten password page." if replied_at else "",
    )


def _kept() -> set[int]:
    return set(Question.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("status", [Question.Status.ANSWERED, Question.Status.CLOSED])
def test_question_replied_over_a_year_ago_is_deleted_younger_kept(status):
    """A question replied to just over 365 days ago is deleted; one replied to just under is
    kept, however long ago it was asked."""
    _question(status, replied_at=JUST_OLDER)
    recent = _question(status, replied_at=JUST_YOUNGER)
    assert question_purge_old(now=NOW) == 1
    assert _kept() == {recent.pk}


def test_question_closed_without_reply_counts_from_its_creation():
    """A question closed without a reply is deleted a year after it was asked."""
    _question(Question.Status.CLOSED, created_at=JUST_OLDER)
    recent = _question(Question.Status.CLOSED, created_at=JUST_YOUNGER)
    assert question_purge_old(now=NOW) == 1
    assert _kept() == {recent.pk}


def test_unanswered_question_is_kept():
    """A question still waiting for an answer is kept, however old."""
    waiting = _question(Question.Status.NEW, created_at=LONG_AGO)
    assert question_purge_old(now=NOW) == 0
    assert _kept() == {waiting.pk}


def test_setting_changes_the_limit(settings):
    """RETENTION_HELP_QUESTIONS_DAYS sets how long a question dealt with is kept."""
    settings.RETENTION_HELP_QUESTIONS_DAYS = 30
    _question(Question.Status.ANSWERED, replied_at=NOW - timedelta(days=31))
    recent = _question(Question.Status.ANSWERED, replied_at=NOW - timedelta(days=29))
    assert question_purge_old(now=NOW) == 1
    assert _kept() == {recent.pk}


def test_beat_runs_the_purge_every_night():
    """The beat schedule runs the help desk purge task once a day, at night."""
    entry = app.conf.beat_schedule["purge-old-questions"]
    assert entry["task"] == purge_old_questions.name == "helpdesk.tasks.purge_old_questions"
    assert isinstance(entry["schedule"], crontab)
    [hour] = entry["schedule"].hour
    assert 0 <= hour < 6
