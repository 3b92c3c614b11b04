"""Log in and out, generic errors, lock-out and its end, the proxy-aware client IP."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from audit.models import AuditEvent
from common.http import client_ip, throttle_key
from tests import challenges
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.mfa import last_code, log_in

pytestmark = pytest.mark.django_db


# The right password leads to the second step (tests/accounts/test_second_factor.py).
PASSWORD_ACCEPTED = "/login/verify/"


def login(client, email, password, *, solved=False, **extra):
    """POST the log-in form; `solved` adds a solved proof-of-work challenge, as the browser does
    once the account asks for one (it is ignored while the account does not)."""
    data = {"login-email": email, "login-password": password}
    if solved:
        data["altcha"] = challenges.solution("login")
    return client.post("/login/", data, **extra)


def test_login_rotates_the_session_and_reaches_the_dashboard(client):
    """A good password leads to the second step (not logged in yet); the second factor logs
    in, with a new session key each time."""
    member = MembershipFactory(primary_manager=True)
    client.get("/login/")
    before = client.session.session_key
    response = login(client, member.user.email.upper(), PASSWORD)
    assert response["Location"] == PASSWORD_ACCEPTED
    assert client.session.session_key != before
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(kind="login_success", user=member.user).exists()
    pending = client.session.session_key
    client.get("/login/verify/")
    response = client.post("/login/verify/", {"code": last_code(member.user.email)})
    assert client.session.session_key != pending
    assert client.session["_auth_user_id"] == str(member.user.pk)
    assert AuditEvent.objects.filter(kind="login_success", user=member.user).exists()
    # A first log-in without a factor enrolled goes on to the choice of one.
    assert response["Location"] == "/account/two-step/choose/"


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
    # From the third failure on, the account asks for the proof-of-work check: solved here, as
    # a browser does, so that the password is checked and axes counts each failure.
    for _ in range(5):
        login(client, user.email, "Wrong-password-1", solved=True)
    response = login(client, user.email, PASSWORD, solved=True)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed attempts" in page and "You can try again after" in page
    assert 'href="/password/forgot/"' in page
    assert AuditEvent.objects.filter(kind="lockout").exists()
    # The cool-off has passed (the attempts expired).
    AccessAttempt.objects.all().delete()
    assert login(client, user.email, PASSWORD, solved=True)["Location"] == PASSWORD_ACCEPTED


def test_lockout_is_per_account_and_ip(client):
    """A robot failing on one account does not lock another account out."""
    victim = UserFactory(email="victim@example.org", active=True)
    other = UserFactory(email="other@example.org", active=True)
    for _ in range(6):
        login(client, victim.email, "Wrong-password-1")
    assert login(client, other.email, PASSWORD)["Location"] == PASSWORD_ACCEPTED


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
        # Fewer entries than proxies: every entry may be the client's, the socket is believed.
        (3, "6.6.6.6, 203.0.113.9", "10.0.0.1", "10.0.0.1"),
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
        login(
            client, user.email, "Wrong-password-1", solved=True, HTTP_X_FORWARDED_FOR="198.51.100.7"
        )
    locked = login(client, user.email, PASSWORD, solved=True, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert locked.status_code == 429
    ok = login(client, user.email, PASSWORD, solved=True, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert ok["Location"] == PASSWORD_ACCEPTED
    # Five wrong passwords, then the attempt refused by the lock-out: all from the real client.
    assert AuditEvent.objects.filter(kind="login_failure", ip_address="198.51.100.7").count() == 6
    assert not AuditEvent.objects.filter(kind="login_failure", ip_address="127.0.0.1").exists()


def test_login_switches_to_the_preferred_language(client):
    """Someone who chose French in their account gets French pages after logging in."""
    member = MembershipFactory(user__preferred_language="fr")
    log_in(client, member.user.email, PASSWORD)
    assert '<html lang="fr">' in client.get("/dashboard/").content.decode()


# -- Password spraying and credential stuffing ------------------------------------------------


def test_right_password_is_refused_when_the_ip_is_over_its_failure_budget(client, settings):
    """The per-IP budget of failures across accounts is checked before the password: over it,
    even the right password gets the lock-out page, audited; another IP logs in."""
    settings.LOGIN_IP_FAILURE_RATE = "3/h"
    member = MembershipFactory(primary_manager=True)
    for n in range(3):
        assert login(client, f"guess{n}@example.org", "Wrong-password-1").status_code == 200
    response = login(client, member.user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    refusal = AuditEvent.objects.get(kind="lockout", email=member.user.email)
    assert refusal.detail == {"reason": "ip_failure_budget"}
    other = login(client, member.user.email, PASSWORD, REMOTE_ADDR="192.0.2.50")
    assert other["Location"] == PASSWORD_ACCEPTED


def test_ipv6_addresses_of_one_64_share_a_failure_budget(client, settings):
    """IPv6 failures count per /64: a robot hopping between addresses of its /64 is stopped,
    a neighbouring /64 is not."""
    settings.LOGIN_IP_FAILURE_RATE = "3/h"
    member = MembershipFactory(primary_manager=True)
    for n in range(3):
        address = f"2001:db8:1:2::{n + 1}"
        login(client, f"guess{n}@example.org", "Wrong-password-1", REMOTE_ADDR=address)
    hopped = login(client, member.user.email, PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert hopped.status_code == 429
    neighbour = login(client, member.user.email, PASSWORD, REMOTE_ADDR="2001:db8:1:3::1")
    assert neighbour["Location"] == PASSWORD_ACCEPTED


@pytest.mark.parametrize(
    "address,key",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_throttle_key_groups_ipv6_by_64(address, key):
    """Per-IP throttles count an IPv4 address as itself, an IPv6 address as its /64."""
    assert throttle_key(address) == key


def _fail_from_many_ips(email, count=3):
    """`count` wrong passwords for `email`, each from its own client and IP."""
    for n in range(count):
        login(Client(), email, "Wrong-password-1", solved=True, REMOTE_ADDR=f"198.51.100.{n + 1}")


def test_account_asks_for_a_challenge_after_three_failures_from_any_ips(client, monkeypatch):
    """After LOGIN_CHALLENGE_AFTER (3) failures for an account, from whatever IPs, a log-in to
    it without a solved challenge is answered with the form, the message and the widget, and
    the password is not even checked; the refusal is audited."""
    member = MembershipFactory(primary_manager=True)
    _fail_from_many_ips(member.user.email)
    checked = []
    monkeypatch.setattr(
        "accounts.forms.auth.authenticate", lambda *args, **kwargs: checked.append(kwargs)
    )
    response = login(client, member.user.email, PASSWORD, REMOTE_ADDR="192.0.2.80")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Too many failed log-ins for this account" in page
    assert len(challenges.challenges_in(page)) == 1
    assert 'aria-live="polite"' in page
    assert checked == []
    assert "_auth_user_id" not in client.session
    refusal = AuditEvent.objects.get(
        kind="login_failure", email=member.user.email, detail__reason="challenge_absent"
    )
    assert refusal.ip_address == "192.0.2.80"


def test_the_challenge_widget_comes_with_the_failure_that_makes_it_needed(client):
    """The answer to the third failure already carries the challenge, so that the next try
    does not need a round trip; the first two do not."""
    user = UserFactory(email="claire@example.org", active=True)
    pages = [login(client, user.email, "Wrong-password-1").content.decode() for _ in range(3)]
    assert [len(challenges.challenges_in(page)) for page in pages] == [0, 0, 1]


def test_a_solved_challenge_from_the_page_lets_the_owner_in(client):
    """The owner solves the page's challenge (here with the altcha library's solver) and logs
    in with the right password, whatever the failures from elsewhere."""
    member = MembershipFactory(primary_manager=True)
    _fail_from_many_ips(member.user.email)
    page = login(client, member.user.email, PASSWORD).content.decode()
    (challenge,) = challenges.challenges_in(page)
    response = client.post(
        "/login/",
        {
            "login-email": member.user.email,
            "login-password": PASSWORD,
            "altcha": challenges.solve(challenge),
        },
    )
    assert response["Location"] == PASSWORD_ACCEPTED


def test_an_invalid_or_replayed_solution_is_refused_at_log_in(client):
    """A forged solution, one for another form, or one already used is refused like none."""
    member = MembershipFactory(primary_manager=True)
    _fail_from_many_ips(member.user.email)
    used = challenges.solution("login")
    first = {"login-email": member.user.email, "login-password": "Wrong-password-1"}
    assert client.post("/login/", {**first, "altcha": used}).status_code == 200
    for altcha in ("bm90IGEgc29sdXRpb24=", challenges.solution("step1"), used):
        response = client.post(
            "/login/",
            {"login-email": member.user.email, "login-password": PASSWORD, "altcha": altcha},
        )
        assert "Too many failed log-ins for this account" in response.content.decode()
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(detail__reason="challenge_refused").count() == 3


def test_the_owner_is_never_locked_out_by_failures_from_other_ips(client):
    """Many failures from many other IPs (each below axes' account+IP limit) never lock the
    owner out: with the check solved, the right password works from the owner's IP."""
    member = MembershipFactory(primary_manager=True)
    for n in range(3):
        robot = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")
        for _ in range(3):
            assert (
                login(robot, member.user.email, "Wrong-password-1", solved=True).status_code == 200
            )
    response = login(client, member.user.email, PASSWORD, solved=True, REMOTE_ADDR="192.0.2.7")
    assert response["Location"] == PASSWORD_ACCEPTED
