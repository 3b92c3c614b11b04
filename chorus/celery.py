"""The Celery application: `celery -A chorus worker` and `celery -A chorus beat`."""

import os

from celery import Celery
from celery.schedules import crontab
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")

app = Celery("chorus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks log with the request id of the request that queued them.
app.steps["worker"].add(DjangoStructLogInitStep)

app.conf.beat_schedule = {
    "requeue-pending-emails": {
        "task": "outbox.tasks.requeue_pending_emails",
        "schedule": 60.0,
    },
    "verify-unverified-structures": {
        "task": "structures.tasks.verify_unverified_structures",
        "schedule": 120.0,
    },
    # INSEE's daily changes into the Sirene mirror, early, before the day's registrations.
    "update-sirene-mirror": {
        "task": "structures.tasks.update_sirene_mirror",
        "schedule": crontab(hour=5, minute=40),
    },
    "purge-abandoned-registrations": {
        "task": "onboarding.tasks.purge_abandoned_registrations",
        "schedule": crontab(minute=17),
    },
    # Retention (README, "What is kept and for how long"): nightly, while nobody registers.
    "purge-old-emails": {
        "task": "outbox.tasks.purge_old_emails",
        "schedule": crontab(hour=3, minute=5),
    },
    "purge-old-audit-events": {
        "task": "audit.tasks.purge_old_audit_events",
        "schedule": crontab(hour=3, minute=20),
    },
    "purge-old-questions": {
        "task": "helpdesk.tasks.purge_old_questions",
        "schedule": crontab(hour=3, minute=35),
    },
    "purge-old-failed-logins": {
        "task": "accounts.tasks.purge_old_failed_logins",
        "schedule": crontab(hour=3, minute=50),
    },
}
