"""Help desk operations: a question arrives from the public form, an admin replies to it."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from helpdesk.models import Question
from outbox.services import absolute_url, email_queue

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(code: str | None) -> str:
    code = (code or "")[:2]
    return code if code in _LANGUAGES else settings.LANGUAGE_CODE


@transaction.atomic
def question_submit(
    *, name: str, email: str, siret: str, subject: str, message: str, language: str
) -> Question:
    """Store the question and queue the acknowledgement to the person, in their language.

    The acknowledgement never repeats the name or the message: anyone can type any address
    in the form, so the mail must not carry text chosen by a stranger (no spam relay).
    """
    question = Question.objects.create(
        name=name,
        email=email,
        siret=siret,
        subject=subject,
        message=message,
        language=_language(language),
    )
    email_queue(
        kind="help_ack",
        to=question.email,
        template="helpdesk/email/ack",
        context={"question": question, "help_url": absolute_url("/help/")},
        language=question.language,
    )
    return question


@transaction.atomic
def question_save(*, question: Question, actor) -> bool:
    """Save an admin's edit of a question; a new or changed reply is e-mailed to the person.

    The stored reply is read under a row lock, so two admins saving the same reply at once
    send it once. The question is marked answered, unless the admin chose to close it.
    Returns True when a reply was queued.
    """
    previous = ""
    if question.pk is not None:
        previous = (
            Question.objects.select_for_update()
            .filter(pk=question.pk)
            .values_list("reply", flat=True)
            .first()
        ) or ""
    question.reply = (question.reply or "").strip()
    send = bool(question.reply) and question.reply != previous.strip()
    if send:
        question.replied_at = timezone.now()
        if question.status != Question.Status.CLOSED:
            question.status = Question.Status.ANSWERED
    question.save()
    if send:
        email_queue(
            kind="help_reply",
            to=question.email,
            template="helpdesk/email/reply",
            context={"question": question, "help_url": absolute_url("/help/")},
            language=_language(question.language),
        )
        audit.record(
            AuditEvent.Kind.ADMIN_ACTION,
            actor=actor,
            email=question.email,
            action="help_reply",
            question=question.pk,
        )
    return send
