"""The admins' side: the question list, and a reply saved in the admin is e-mailed."""

import json

import pytest

from audit.models import AuditEvent
from helpdesk.models import Question
from outbox.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(db):
    return Question.objects.create(
        name="Claire Martin",
        email="claire@example.org",
        subject=Question.Subject.PASSWORD,
        message="I no longer know the answer to my secret question.",
        language="fr",
    )


def _change(admin_client, question, **overrides):
    data = {"reply": "", "status": question.status}
    data.update(overrides)
    return admin_client.post(f"/admin/helpdesk/question/{question.pk}/change/", data)


def test_changelist_shows_questions_and_filters(admin_client, question):
    """The list shows the question, with status and subject filters and a search box."""
    page = admin_client.get("/admin/helpdesk/question/").content.decode()
    assert "claire@example.org" in page
    assert "?status__exact=new" in page
    assert "?subject__exact=password" in page
    assert 'id="searchbar"' in page


def test_search_finds_by_message(admin_client, question):
    """Searching a word of the message finds the question; another word does not."""
    assert (
        "claire@example.org"
        in admin_client.get("/admin/helpdesk/question/?q=secret").content.decode()
    )
    assert (
        "claire@example.org"
        not in admin_client.get("/admin/helpdesk/question/?q=invoice").content.decode()
    )


def test_reply_is_mailed_and_question_answered(
    admin_client, admin_user, question, django_capture_on_commit_callbacks
):
    """Saving a reply e-mails it in the question's language and marks the question answered."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _change(admin_client, question, reply="Use the forgotten password page.")
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    assert question.replied_at is not None
    mail = OutgoingEmail.objects.get(kind="help_reply")
    assert mail.to == "claire@example.org"
    assert mail.language == "fr"
    assert "Use the forgotten password page." in mail.body_text
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION, detail__action="help_reply")
    assert event.actor == admin_user
    assert event.detail == {"action": "help_reply", "question": question.pk}


def test_unchanged_reply_is_not_mailed_again(admin_client, question):
    """Saving again with the same reply sends nothing more."""
    _change(admin_client, question, reply="Use the forgotten password page.")
    question.refresh_from_db()
    replied_at = question.replied_at
    _change(admin_client, question, reply="Use the forgotten password page.", status="answered")
    assert OutgoingEmail.objects.filter(kind="help_reply").count() == 1
    question.refresh_from_db()
    assert question.replied_at == replied_at


def test_changed_reply_is_mailed_again(admin_client, question):
    """A corrected reply is e-mailed again."""
    _change(admin_client, question, reply="First answer.")
    _change(admin_client, question, reply="Corrected answer.", status="answered")
    assert OutgoingEmail.objects.filter(kind="help_reply").count() == 2


def test_empty_reply_sends_nothing(admin_client, question):
    """Closing a question without a reply sends no mail and keeps it unreplied."""
    _change(admin_client, question, status="closed")
    question.refresh_from_db()
    assert question.status == Question.Status.CLOSED
    assert question.replied_at is None
    assert not OutgoingEmail.objects.filter(kind="help_reply").exists()


def test_reply_with_closed_status_stays_closed(admin_client, question):
    """A reply saved with "closed" chosen is mailed, and the question stays closed."""
    _change(admin_client, question, reply="Done, closing.", status="closed")
    question.refresh_from_db()
    assert question.status == Question.Status.CLOSED
    assert question.replied_at is not None
    assert OutgoingEmail.objects.filter(kind="help_reply").count() == 1


def test_admin_cannot_edit_the_question_itself(admin_client, question):
    """The person's message and address are read-only in the admin."""
    _change(admin_client, question, email="other@example.org", message="Changed")
    question.refresh_from_db()
    assert question.email == "claire@example.org"
    assert question.message.startswith("I no longer know")


def test_question_save_is_audited_with_the_changed_fields(
    admin_client, admin_user, question, django_capture_on_commit_callbacks
):
    """Saving a question in the admin writes a "change" event naming the fields changed,
    never the reply's text, and the reply is still mailed."""
    with django_capture_on_commit_callbacks(execute=False):
        response = _change(admin_client, question, reply="Use the forgotten password page.")
    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(kind="help_reply").count() == 1
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION, detail__action="change")
    assert event.actor == admin_user
    assert (event.detail["model"], event.detail["pk"]) == ("helpdesk.question", question.pk)
    assert event.detail["fields"] == ["reply"]
    assert "forgotten password" not in json.dumps(event.detail)


def test_question_closed_without_reply_is_audited(admin_client, admin_user, question):
    """Closing a question without a reply is audited as a change of its status."""
    _change(admin_client, question, status="closed")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)
    assert (event.detail["action"], event.detail["fields"]) == ("change", ["status"])
