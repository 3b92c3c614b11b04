"""The outbox in the admin: read-only mails, secrets hidden, "Retry now"."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services.links import activation_link_send
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email
from tests.admin_support import listed, log_in, messages_of, run_action
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAILS = reverse("admin:outbox_outgoingemail_changelist")


def _admin_actions(admin_user):
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)


def _outgoing_email(**fields) -> OutgoingEmail:
    defaults = {
        "kind": "activation",
        "to": "someone@example.org",
        "subject": "Activate your account",
        "body_text": "Hello",
    }
    return OutgoingEmail.objects.create(**{**defaults, **fields})


@pytest.mark.parametrize(
    "url_name", ["admin:outbox_outgoingemail_changelist", "admin:outbox_outgoingemail_change"]
)
def test_outbox_admin_pages_open_for_a_superuser(admin_client, url_name):
    """The changelist and change page of the outbox open for a superuser."""
    email = _outgoing_email(user=UserFactory())
    args = [email.pk] if url_name.endswith("_change") else []
    assert admin_client.get(reverse(url_name, args=args)).status_code == 200


def test_staff_without_permission_cannot_read_the_outbox(client):
    """A staff member with no permission on the outbox cannot open it."""
    staff = UserFactory(active=True, is_staff=True)
    log_in(client, staff.email, PASSWORD)
    assert client.get(EMAILS).status_code == 403


def test_outgoing_email_search_and_filters(admin_client):
    """The outbox is searched by recipient and subject, filtered by status and kind."""
    failed = _outgoing_email(to="anna@acme.fr", status=OutgoingEmail.Status.FAILED)
    sent = _outgoing_email(
        kind="join_decision", subject="Your join request", status=OutgoingEmail.Status.SENT
    )
    assert listed(admin_client.get(EMAILS, {"q": "acme.fr"}), OutgoingEmail) == {failed.pk}
    assert listed(admin_client.get(EMAILS, {"q": "join request"}), OutgoingEmail) == {sent.pk}
    assert listed(admin_client.get(EMAILS, {"status__exact": "failed"}), OutgoingEmail) == {
        failed.pk
    }
    assert listed(admin_client.get(EMAILS, {"kind": "join_decision"}), OutgoingEmail) == {sent.pk}


def test_outgoing_email_page_is_read_only_and_shows_the_body(admin_client):
    """The change page shows the body but no form to edit the row, and cannot be posted."""
    email = _outgoing_email(body_text="Bonjour <Claire>,\nvotre compte", last_error="SMTP 451")
    url = reverse("admin:outbox_outgoingemail_change", args=[email.pk])
    page = admin_client.get(url).content.decode()
    assert "Bonjour &lt;Claire&gt;,\nvotre compte" in page
    assert "SMTP 451" in page
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"status": "sent"}).status_code == 403
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING


def test_outgoing_email_page_shows_no_working_link(admin_client, mailoutbox):
    """An activation mail's page never shows a link an admin could use: the row holds a
    placeholder, and the secret minted when the mail left is not in the page."""
    user = UserFactory()
    email = activation_link_send(user=user)
    send_outgoing_email.apply(args=[email.pk])
    raw = re.search(r"/activate/([A-Za-z0-9_-]+)/", mailoutbox[0].body).group(1)
    page = admin_client.get(reverse("admin:outbox_outgoingemail_change", args=[email.pk]))
    page = page.content.decode()
    assert "[secret hidden]" in page
    assert raw not in page and "/activate/" not in page


def test_outgoing_email_add_is_refused(admin_client):
    """Mails are written by the code that sends them, never added by hand."""
    assert admin_client.get(reverse("admin:outbox_outgoingemail_add")).status_code == 403


def test_retry_now_requeues_failed_emails(
    admin_client, admin_user, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    """ "Retry now" sets failed mails back to pending (attempts kept), queues them after commit,
    skips the others and audits each retry; the task then sends the mail."""
    queued = []
    monkeypatch.setattr("outbox.admin.enqueue_send", queued.append)
    failed = _outgoing_email(
        to="anna@acme.fr",
        status=OutgoingEmail.Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected",
        created_at=timezone.now() - timedelta(hours=3),
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    sent = _outgoing_email(status=OutgoingEmail.Status.SENT, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, EMAILS, "retry_now", [failed, sent])

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("pending", 5, None)
    assert sent.status == OutgoingEmail.Status.SENT
    assert queued == [failed.pk]
    assert messages_of(response) == [
        "1 e-mail queued again.",
        "1 e-mail skipped: only failed e-mails are retried.",
    ]
    event = _admin_actions(admin_user).get()
    assert (event.email, event.detail["action"]) == ("anna@acme.fr", "retry_email")

    send_outgoing_email.apply(args=[failed.pk])
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 6)
    assert [m.to for m in mailoutbox] == [["anna@acme.fr"]]


def test_outgoing_email_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 mails costs a fixed number of queries, not one per row."""
    user = UserFactory()
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(kind="activation", to=f"p{n}@example.org", subject="s", user=user)
        for n in range(50)
    )
    with django_assert_max_num_queries(8):
        response = admin_client.get(EMAILS)
    assert len(response.context["cl"].result_list) == 50
