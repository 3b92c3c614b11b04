"""After a credential changes: reset links revoked, the login e-mail told, guesses capped, a
mailed link opened with a new session key, current passwords throttled."""

import pytest
from django.core import mail

from accounts.models import OneTimeToken
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from tests.factories import PASSWORD, MembershipFactory
from tests.mail import deliver, last_link

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nouveau-Mot2Passe!"


@pytest.fixture
def member(client):
    member = MembershipFactory(primary_manager=True)
    return member


def _change_password(client, current=PASSWORD):
    return client.post(
        "/account/password/",
        {"current_password": current, "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    )


def test_a_password_change_revokes_every_reset_link(client, member):
    """A reset link sent before a password change no longer works, and a reset mail still
    waiting to leave is not sent at all."""
    client.post("/password/forgot/", {"email": member.user.email})
    sent_link = last_link(member.user.email, "/password/reset/")
    mail.outbox.clear()
    client.post("/password/forgot/", {"email": member.user.email}, REMOTE_ADDR="10.0.0.9")
    client.force_login(member.user)
    assert _change_password(client).status_code == 302
    assert not OneTimeToken.objects.filter(
        user=member.user, purpose=OneTimeToken.Purpose.PASSWORD_RESET
    ).usable()
    assert deliver(kind="password_reset") == []
    client.logout()
    client.get(sent_link.replace("http://127.0.0.1:8000", ""))
    page = client.get("/password/reset/").content.decode()
    assert "This link is not valid" in page


def test_a_secret_question_change_is_announced_to_the_login_email(client, member):
    """Changing the secret question mails the login e-mail, with the way back."""
    member.user.contact_email = "other@example.org"
    member.user.save()
    client.force_login(member.user)
    response = client.post(
        "/account/secret-question/",
        {"current_password": PASSWORD, "secret_question": "pet", "answer": "Rex the dog"},
    )
    assert response.status_code == 302
    notice = OutgoingEmail.objects.get(kind="secret_question_changed")
    assert notice.to == member.user.email
    assert "secret question" in notice.body_text and "/password/forgot/" in notice.body_text


def test_a_contact_email_change_is_announced_to_the_login_email(client, member):
    """Once the new contact e-mail is confirmed, the login e-mail is told where mails go now."""
    client.force_login(member.user)
    client.post(
        "/account/",
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "phone": "",
            "preferred_language": "en",
            "contact_email": "elsewhere@example.org",
        },
    )
    link = last_link("elsewhere@example.org", "/account/contact-email/")
    client.get(link.replace("http://127.0.0.1:8000", ""))
    client.post("/account/contact-email/")
    notice = OutgoingEmail.objects.get(kind="contact_email_changed")
    assert notice.to == member.user.email
    assert "elsewhere@example.org" in notice.body_text


def test_opening_a_mailed_link_gives_a_new_session_key(client, member):
    """The session key changes before the link's secret enters the session (no fixation)."""
    client.get("/")
    client.post("/password/forgot/", {"email": member.user.email})
    before = client.session.session_key
    link = last_link(member.user.email, "/password/reset/")
    client.get(link.replace("http://127.0.0.1:8000", ""))
    assert client.session.session_key != before
    assert client.session["password_reset_token"]


def test_wrong_secret_answers_are_capped_per_account_per_day(client, member, settings):
    """A new link does not buy new guesses: past SECRET_ANSWER_FAILURES_PER_DAY wrong answers
    in 24 hours, every reset link of the account is refused."""
    settings.SECRET_ANSWER_FAILURES_PER_DAY = 3
    for ip in ("10.0.0.1", "10.0.0.2"):
        mail.outbox.clear()
        client.post("/password/forgot/", {"email": member.user.email}, REMOTE_ADDR=ip)
        client.get(
            last_link(member.user.email, "/password/reset/").replace("http://127.0.0.1:8000", "")
        )
        for _ in range(2):
            client.post(
                "/password/reset/",
                {"answer": "wrong", "password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
            )
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SECRET_ANSWER_FAILURE).count() == 3
    page = client.get("/password/reset/").content.decode()
    assert "This link is not valid" in page
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "path,data",
    [
        (
            "/account/password/",
            {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
        ),
        ("/account/secret-question/", {"secret_question": "pet", "answer": "Rex the dog"}),
    ],
)
def test_current_password_checks_are_throttled(client, member, settings, path, data):
    """After CURRENT_PASSWORD_FAILURE_RATE wrong current passwords, even the right one is
    refused for a while, with a plain message; the refusal is audited."""
    settings.CURRENT_PASSWORD_FAILURE_RATE = "3/15m"
    client.force_login(member.user)
    for _ in range(3):
        page = client.post(path, {**data, "current_password": "wrong"}).content.decode()
        assert "This is not your current password." in page
    page = client.post(path, {**data, "current_password": PASSWORD}).content.decode()
    assert "Too many wrong passwords" in page
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LOCKOUT, user=member.user).exists()
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


def test_role_transfer_password_is_throttled(client, member, settings):
    """The password that confirms a role transfer counts against the same budget."""
    settings.CURRENT_PASSWORD_FAILURE_RATE = "2/15m"
    other = MembershipFactory(structure=member.structure)
    client.force_login(member.user)
    url = f"/structures/{member.structure_id}/"
    for _ in range(2):
        client.post(url, {"transfer": "1", "member": other.pk, "password": "wrong"})
    page = client.post(
        url, {"transfer": "1", "member": other.pk, "password": PASSWORD}
    ).content.decode()
    assert "Too many wrong passwords" in page
    other.refresh_from_db()
    assert other.role == other.Role.USER
