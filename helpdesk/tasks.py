"""Periodic work of the help desk."""

from celery import shared_task

from helpdesk.retention import question_purge_old


@shared_task
def purge_old_questions() -> int:
    """Delete the questions dealt with more than RETENTION_HELP_QUESTIONS_DAYS ago."""
    return question_purge_old()
