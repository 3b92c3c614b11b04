"""Log in and out, generic errors, lock-out and its end, the proxy-aware client IP."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from audit.models import AuditEvent
from common.http import client_ip
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password, **extra):
    return client.post("/login/", {"login-email": email, "login-password": password}, **extra)


def test_login_rotates_the_session_and_reaches_the_dashboard(client):
    """A good password logs in, with a new session key."""
    member = MembershipFactory(primary_manager=True)
    client.get("/login/")
    client.session["probe"] = 1
    before = client.session.session_key
    response = login(client, member.user.email.upper(), PASSWORD)
    assert response["Location"] == "/dashboard/"
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(kind="login_success", user=member.user).exists()


def test_wrong_password_and_unknown_email_give_one_generic_message(client):
    """Nobody can tell from the answer whether the address has an account."""
    UserFactory(email="known@example.org", active=True)
    wrong = login(client, "known@example.org", "Wrong-password-1").content.decode()
    unknown = login(client, "nobody@example.org", "Wrong-password-1").content.decode()
    message = "The login e-mail or the password is not correct."
    assert message in wrong and message in unknown
    assert AuditEvent.objects.filter(kind="login_failure").count() == 2


def test_inactive_account_cannot_log_in(client):
    """An account not activated gets the same generic message."""
    user = UserFactory(email="pending@example.org", active=True, is_active=False)
    assert "is not correct" in login(client, user.email, PASSWORD).content.decode()


def test_lockout_after_five_failures_and_its_end(client, settings):
    """Five failures for one account from one IP lock it out with a page saying when to retry;
    after the cool-off the right password works again."""
    user = UserFactory(email="victim@example.org", active=True)
    for _ in range(5):
        login(client, user.email, "Wrong-password-1")
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed attempts" in page and "You can try again after" in page
    assert 'href="/password/forgot/"' in page
    assert AuditEvent.objects.filter(kind="lockout").exists()
    # The cool-off has passed (the attempts expired).
    AccessAttempt.objects.all().delete()
    assert login(client, user.email, PASSWORD)["Location"] == "/dashboard/"


def test_lockout_is_per_account_and_ip(client):
    """A robot failing on one account does not lock another account out."""
    victim = UserFactory(email="victim@example.org", active=True)
    other = UserFactory(email="other@example.org", active=True)
    for _ in range(6):
        login(client, victim.email, "Wrong-password-1")
    assert login(client, other.email, PASSWORD)["Location"] == "/dashboard/"


def test_many_failures_across_accounts_from_one_ip_are_stopped(client, settings):
    """A robot trying many accounts from one IP is stopped by the per-IP count."""
    settings.LOGIN_IP_FAILURE_RATE = "10/h"
    statuses = [
        login(client, f"guess{n}@example.org", "Wrong-password-1").status_code for n in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_logout_is_a_post(client):
    """GET does not log out; POST does."""
    member = MembershipFactory()
    client.force_login(member.user)
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "count,forwarded,remote,expected",
    [
        (0, "6.6.6.6", "10.0.0.1", "10.0.0.1"),
        (1, "6.6.6.6, 203.0.113.9", "10.0.0.1", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "10.0.0.1", "203.0.113.9"),
        (1, "not-an-ip", "10.0.0.1", "0.0.0.0"),
        (1, "", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(settings, count, forwarded, remote, expected):
    """X-Forwarded-For is read only as deep as TRUSTED_PROXY_COUNT; a forged prefix is ignored."""
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


def test_lockout_uses_the_proxy_aware_ip(client, settings):
    """Behind one proxy, failures count per real client: another client is not locked out."""
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory(email="shared@example.org", active=True)
    for _ in range(5):
        login(client, user.email, "Wrong-password-1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert (
        login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    )
    ok = login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert ok["Location"] == "/dashboard/"
    # Five wrong passwords, then the attempt refused by the lock-out: all from the real client.
    assert AuditEvent.objects.filter(kind="login_failure", ip_address="198.51.100.7").count() == 6
    assert not AuditEvent.objects.filter(kind="login_failure", ip_address="127.0.0.1").exists()


def test_login_switches_to_the_preferred_language(client):
    """Someone who chose French in their account gets French pages after logging in."""
    member = MembershipFactory(user__preferred_language="fr")
    login(client, member.user.email, PASSWORD)
    assert '<html lang="fr">' in client.get("/dashboard/").content.decode()
