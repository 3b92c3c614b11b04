"""Password recovery: neutral answers, a single-use link AND the secret answer."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import OneTimeToken
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from tests.factories import ANSWER, PASSWORD, MembershipFactory
from tests.mail import deliver, last_link

pytestmark = pytest.mark.django_db

NEW = "Autre-Mot2Passe!"


def ask(client, email):
    return client.post("/password/forgot/", {"email": email})


def open_reset_link(client, email):
    path = last_link(email, "/password/reset/").removeprefix("http://127.0.0.1:8000")
    assert client.get(path)["Location"] == "/password/reset/"
    return path


def test_same_neutral_message_for_known_and_unknown_addresses(client, manager):
    """Nobody learns from the answer whether an address has an account."""
    known = ask(client, manager.user.email).content.decode()
    unknown = ask(Client(), "nobody@example.org").content.decode()

    def strip(page, email):
        page = page.replace(email, "EMAIL")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert strip(known, manager.user.email) == strip(unknown, "nobody@example.org")
    assert OutgoingEmail.objects.filter(kind="password_reset").count() == 1
    assert OutgoingEmail.objects.get(kind="password_reset").to == manager.user.email


def test_reset_with_the_right_answer_ends_every_session(client, manager):
    """The link plus the secret answer set the password; other sessions end; a mail says so."""
    other_device = Client()
    other_device.force_login(manager.user)
    assert other_device.get("/dashboard/").status_code == 200
    ask(client, manager.user.email)
    open_reset_link(client, manager.user.email)
    page = client.get("/password/reset/").content.decode()
    assert "What was the name of your first pet?" in page
    response = client.post(
        "/password/reset/", {"answer": "MEDOR le  chien", "password": NEW, "confirmation": NEW}
    )
    assert "Your password has been changed" in response.content.decode()
    manager.user.refresh_from_db()
    assert manager.user.check_password(NEW)
    assert other_device.get("/dashboard/").status_code == 302
    assert OutgoingEmail.objects.filter(kind="password_changed").exists()
    assert AuditEvent.objects.filter(kind="password_reset").exists()


def test_link_is_single_use(client, manager):
    """A used reset link no longer works."""
    ask(client, manager.user.email)
    path = open_reset_link(client, manager.user.email)
    client.post("/password/reset/", {"answer": ANSWER, "password": NEW, "confirmation": NEW})
    client.get(path)
    assert "This link is not valid" in client.get("/password/reset/").content.decode()


def test_link_expires_after_60_minutes(client, manager):
    """An expired link is refused with a way to ask for a new one."""
    ask(client, manager.user.email)
    deliver(kind="password_reset")  # the link is minted when its mail leaves
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    open_reset_link(client, manager.user.email)
    page = client.get("/password/reset/").content.decode()
    assert "This link is not valid" in page and 'href="/password/forgot/"' in page


def test_five_wrong_answers_kill_the_link(client, manager):
    """Each wrong answer is counted and audited; the fifth invalidates the link."""
    ask(client, manager.user.email)
    open_reset_link(client, manager.user.email)
    pages = [
        client.post(
            "/password/reset/", {"answer": "Rex", "password": NEW, "confirmation": NEW}
        ).content.decode()
        for _ in range(5)
    ]
    assert "4 attempts left" in pages[0]
    assert "Too many wrong answers" in pages[4]
    assert OneTimeToken.objects.get(purpose="password_reset").revoked_at is not None
    assert AuditEvent.objects.filter(kind="secret_answer_failure").count() == 5
    manager.user.refresh_from_db()
    assert manager.user.check_password(PASSWORD)


def test_new_password_follows_the_policy(client, manager):
    """The reset refuses a weak password, and the answer alone changes nothing."""
    ask(client, manager.user.email)
    open_reset_link(client, manager.user.email)
    page = client.post(
        "/password/reset/", {"answer": ANSWER, "password": "weak", "confirmation": "weak"}
    ).content.decode()
    assert "too short" in page
    manager.user.refresh_from_db()
    assert manager.user.check_password(PASSWORD)


def test_forgot_is_throttled_per_address(client, manager):
    """At most one link a minute per address; the answer stays the same."""
    ask(client, manager.user.email)
    second = ask(client, manager.user.email)
    assert "If an active account uses" in second.content.decode()
    assert OutgoingEmail.objects.filter(kind="password_reset").count() == 1


def test_secret_answer_alone_never_opens_the_account(client, manager):
    """Without a mailed link there is no page where the answer could be tried."""
    page = client.get("/password/reset/").content.decode()
    assert "This link is not valid" in page
    assert 'name="answer"' not in page


def test_inactive_account_gets_no_reset_link(client):
    """An account not activated yet gets nothing (activation comes first)."""
    member = MembershipFactory(user__is_active=False)
    ask(client, member.user.email)
    assert not OutgoingEmail.objects.filter(kind="password_reset").exists()
