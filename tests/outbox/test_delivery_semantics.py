"""At-least-once delivery: the "sending" mark and its lease, a copy after a worker's death."""

import re
import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from accounts.models import OneTimeToken
from outbox import tasks
from outbox.models import OutgoingEmail
from outbox.tasks import requeue_pending_emails, send_outgoing_email
from tests import journey

LINK = re.compile(r"https?://[^\s\"<]+(/activate/[A-Za-z0-9_\-]+/)")


def _registered(client, email):
    journey.register(client, email)
    return OutgoingEmail.objects.get(to=email, kind="activation")


def _seen_from_another_connection(pk):
    """The row as another process sees it: only what is committed."""
    seen = {}

    def read():
        row = OutgoingEmail.objects.get(pk=pk)
        seen.update(status=row.status, lease_until=row.lease_until, attempts=row.attempts)
        connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen


def test_sending_mark_and_lease_are_committed_before_smtp(client, transactional_db, monkeypatch):
    """While the SMTP server is being talked to, the row is committed as sending, with a lease."""
    row = _registered(client, "lease@example.org")
    seen = {}
    deliver = tasks._deliver

    def spy(email, values):
        seen.update(_seen_from_another_connection(email.pk))
        deliver(email, values)

    monkeypatch.setattr(tasks, "_deliver", spy)
    send_outgoing_email.apply(args=[row.pk])
    assert seen["status"] == OutgoingEmail.Status.SENDING
    assert seen["attempts"] == 1
    assert seen["lease_until"] > timezone.now()
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT and row.lease_until is None


def test_a_leased_mail_is_left_alone_until_its_lease_ends(client, db, monkeypatch):
    """A redelivery during another worker's lease sends nothing; the sweeper waits for its end."""
    row = _registered(client, "busy@example.org")
    OutgoingEmail.objects.filter(pk=row.pk).update(
        status=OutgoingEmail.Status.SENDING,
        lease_until=timezone.now() + timedelta(seconds=60),
        created_at=timezone.now() - timedelta(minutes=10),
    )
    queued = []
    monkeypatch.setattr(tasks, "enqueue_send", lambda pk: queued.append(pk) or True)
    assert send_outgoing_email.apply(args=[row.pk]).get() == "sending"
    assert requeue_pending_emails() == 0 and mail.outbox == []
    OutgoingEmail.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(1))
    assert requeue_pending_emails() == 1 and queued == [row.pk]


class WorkerDied(BaseException):
    """Stands for a SIGKILL between the SMTP server's answer and the commit of "sent"."""


def test_a_copy_after_a_worker_died_keeps_the_journey_working(client, db, monkeypatch):
    """A worker dead after SMTP: the mail leaves again with the same Message-ID, the newest
    link activates, and the first copy's link says a newer link was sent."""
    row = _registered(client, "twice@example.org")

    def die(email):
        raise WorkerDied

    monkeypatch.setattr(tasks, "_attempt_done", die)
    with pytest.raises(WorkerDied):
        send_outgoing_email.apply(args=[row.pk], throw=True)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENDING and len(mail.outbox) == 1

    OutgoingEmail.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(1))
    send_outgoing_email.apply(args=[row.pk])
    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] == row.message_id
    old, new = (LINK.search(m.body).group(1) for m in (first, second))
    assert old != new

    client.get(old)
    page = client.get("/activate/").content.decode()
    assert "A newer link was sent to you" in page
    client.get(new)
    assert "User account activation" in client.get("/activate/").content.decode()


def test_a_refused_attempt_revokes_the_link_minted_for_it(client, db, monkeypatch, settings):
    """The SMTP server refuses: the link minted at sending no longer works."""
    settings.MAIL_RETRY_WINDOW = 0  # no retry, which the eager task would run at once
    row = _registered(client, "refused@example.org")

    def refuse(email, values):
        raise smtplib.SMTPDataError(451, b"try later")

    monkeypatch.setattr(tasks, "_deliver", refuse)
    send_outgoing_email.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.FAILED and row.lease_until is None
    assert OneTimeToken.objects.filter(mail=row).count() == 1
    assert not OneTimeToken.objects.filter(mail=row).usable().exists()
