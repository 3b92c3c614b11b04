"""Outgoing mails through a real Celery worker and a real SMTP server: one mail, never two."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import OutgoingEmail
from outbox.tasks import requeue_pending_emails, send_outgoing_email
from tests import journey
from tests.services import wait_for

pytestmark = pytest.mark.worker


def test_one_registration_sends_exactly_one_mail(client, celery_worker, smtp_server):
    """A registration's activation mail reaches the SMTP server once, in text and HTML."""
    journey.register(client, "one@example.org")
    assert wait_for(lambda: len(smtp_server.messages) >= 1)
    time.sleep(1.0)
    assert len(smtp_server.messages) == 1
    message = smtp_server.handler.to("one@example.org")[0]
    assert message["Subject"] == "Activate your Chorus Pro account"
    assert message.get_body(("plain",)).get_content().count("/activate/") == 1
    assert message.get_body(("html",)) is not None
    row = OutgoingEmail.objects.get(to="one@example.org")
    assert row.status == OutgoingEmail.Status.SENT and row.attempts == 1


def test_smtp_refusal_is_retried_and_still_one_mail(client, celery_worker, smtp_server):
    """An SMTP server that refuses, then accepts, gets exactly one mail."""
    smtp_server.handler.refuse_next = 2
    journey.register(client, "retry@example.org")
    assert wait_for(lambda: len(smtp_server.messages) >= 1, timeout=30)
    time.sleep(1.0)
    assert smtp_server.handler.refused == 2
    assert len(smtp_server.messages) == 1
    row = OutgoingEmail.objects.get(to="retry@example.org")
    assert row.status == OutgoingEmail.Status.SENT
    assert row.attempts == 3


def test_redelivered_task_does_not_send_twice(client, celery_worker, smtp_server):
    """The same task delivered again (broker redelivery, sweeper) finds the row sent."""
    journey.register(client, "redeliver@example.org")
    assert wait_for(lambda: len(smtp_server.messages) >= 1)
    row = OutgoingEmail.objects.get(to="redeliver@example.org")
    send_outgoing_email.delay(row.pk)
    send_outgoing_email.delay(row.pk)
    requeue_pending_emails()
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1


def test_concurrent_deliveries_send_once(transactional_db, smtp_server, settings):
    """Two workers taking the same row at once: the row lock lets one send."""
    from concurrent.futures import ThreadPoolExecutor

    from outbox.services import email_queue

    row = email_queue(
        kind="test",
        to="twice@example.org",
        template="accounts/email/password_changed",
        context={"user": None, "reset_url": "x"},
        language="en",
    )
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: send_outgoing_email.apply(args=[row.pk]), range(4)))
    assert len(smtp_server.messages) == 1


def test_mail_is_marked_failed_after_the_retry_window(transactional_db, settings, smtp_server):
    """Past the retry window a refused mail is marked failed with its error."""
    from outbox.services import email_queue

    settings.MAIL_RETRY_WINDOW = 0
    smtp_server.handler.refuse_next = 1
    row = email_queue(
        kind="test",
        to="fail@example.org",
        template="accounts/email/password_changed",
        context={"user": None, "reset_url": "x"},
        language="en",
    )
    send_outgoing_email.apply(args=[row.pk])
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.FAILED
    assert "451" in row.last_error


@pytest.fixture
def private_broker():
    """A Redis of our own that the test can stop and start, used as the Celery broker."""
    from tests.services import RedisServer, celery_broker

    server = RedisServer()
    with celery_broker(server.url):
        yield {"start": server.start}
    server.stop()


def test_mail_queued_while_broker_down_is_sent_by_the_sweeper(
    client, transactional_db, smtp_server, private_broker, settings
):
    """Registration works with the broker down; the sweeper sends the mail once it is back."""
    from celery.contrib.testing.worker import start_worker

    from chorus.celery import app

    response = journey.register(client, "brokerdown@example.org")
    assert response["Location"] == "/register/sent/"
    row = OutgoingEmail.objects.get(to="brokerdown@example.org")
    assert row.status == OutgoingEmail.Status.PENDING

    private_broker["start"]()
    OutgoingEmail.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert requeue_pending_emails() == 1
        assert wait_for(lambda: len(smtp_server.messages) >= 1, timeout=20)
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert len(smtp_server.messages) == 1
