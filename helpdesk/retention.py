"""How long the help desk keeps a question once it is dealt with."""

from django.conf import settings
from django.db.models import Q

from common.retention import delete_in_batches, retention_limit
from helpdesk.models import Question


def question_purge_old(*, now=None) -> int:
    """Delete the answered and closed questions replied to more than
    RETENTION_HELP_QUESTIONS_DAYS ago (a question closed without a reply: asked that long ago);
    returns how many. A question still waiting for an answer is kept."""
    limit = retention_limit(settings.RETENTION_HELP_QUESTIONS_DAYS, now=now)
    return delete_in_batches(
        Question.objects.filter(
            status__in=[Question.Status.ANSWERED, Question.Status.CLOSED]
        ).filter(Q(replied_at__lt=limit) | Q(replied_at__isnull=True, created_at__lt=limit))
    )
