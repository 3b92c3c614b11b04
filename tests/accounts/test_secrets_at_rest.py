"""No secret at rest: typed passwords and live link secrets are in no row of the database, and
every view that receives or shows a secret hides it from error reports and caches."""

import re

import pytest
from django.db import connection

from accounts.models import OneTimeToken
from tests import journey
from tests.factories import PASSWORD, MembershipFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db


def rows_containing(value: str) -> list[str]:
    """Every table.column of the database (text, JSON, any type cast to text) holding `value`."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',  # noqa: S608
                [f"%{value}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_rows_containing_finds_what_is_stored():
    """The search itself finds a value that is stored (so an empty answer means something)."""
    member = MembershipFactory(structure__name="Zyxwvut Unique Name")
    assert "structures_structure.name" in rows_containing("Zyxwvut Unique Name")
    assert member.pk


def test_a_failed_log_in_leaves_the_typed_password_nowhere(client):
    """After a failed log-in (recorded by django-axes and the audit log), no row of any table
    contains the password that was typed."""
    member = MembershipFactory(primary_manager=True)
    typed = "MyRealPassw0rd-LEAK"
    response = client.post("/login/", {"login-email": member.user.email, "login-password": typed})
    assert response.status_code == 200
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username=member.user.email).exists()
    assert rows_containing(typed) == []


def _secret(body: str, path: str) -> str:
    match = re.search(rf"{re.escape(path)}([A-Za-z0-9_-]{{20,}})/", body)
    assert match, body
    return match.group(1)


def test_no_row_holds_the_secret_of_any_mailed_link(client, smtp_server):
    """For activation, password reset and contact e-mail confirmation, the secret of the link
    in the mail that reached the SMTP server is stored nowhere (only its hash)."""
    journey.register(client, "claire@example.org")
    member = MembershipFactory(primary_manager=True)
    client.post("/password/forgot/", {"email": member.user.email})
    client.force_login(member.user)
    client.post(
        "/account/",
        {
            "first_name": "Anna",
            "last_name": "Berg",
            "phone": "",
            "preferred_language": "en",
            "contact_email": "new-contact@example.org",
        },
    )
    deliver()
    received = {
        "/activate/": smtp_server.handler.to("claire@example.org"),
        "/password/reset/": smtp_server.handler.to(member.user.email),
        "/account/contact-email/": smtp_server.handler.to("new-contact@example.org"),
    }
    for path, messages in received.items():
        assert len(messages) == 1, path
        body = messages[0].get_body(preferencelist=("plain",)).get_content()
        secret = _secret(body, path)
        assert rows_containing(secret) == [], path
    assert OneTimeToken.objects.count() == 3


def test_the_link_lives_from_the_moment_its_mail_leaves(client, settings):
    """The token is created when the mail is sent, valid ACTIVATION_LINK_TTL from then; the
    row queued at step 3 holds a placeholder, not a link."""
    journey.register(client, "late@example.org")
    assert not OneTimeToken.objects.exists()
    from outbox.models import OutgoingEmail

    row = OutgoingEmail.objects.get(kind="activation")
    assert "/activate/" not in row.body_text
    assert row.slots["link"] in row.body_text
    deliver()
    token = OneTimeToken.objects.get()
    row.refresh_from_db()
    lifetime = (token.expires_at - row.sent_at).total_seconds()
    assert abs(lifetime - settings.ACTIVATION_LINK_TTL) < 5


def test_a_mail_replaced_before_it_left_is_not_sent(client):
    """Two activation mails queued for one account: only the newest leaves, and its link works."""
    journey.register(client, "twice@example.org")
    from accounts.services.links import activation_link_resend
    from outbox.models import OutgoingEmail

    activation_link_resend(email="twice@example.org")
    sent = deliver(to="twice@example.org")
    assert len(sent) == 1
    statuses = list(OutgoingEmail.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["superseded", "sent"]
    response = client.get(journey.activation_path("twice@example.org"), follow=True)
    assert "Choose your password" in response.content.decode() or response.status_code == 200
    assert OneTimeToken.objects.usable().count() == 1


SECRET_PAGES = [
    ("/account/password/", "logged_in"),
    ("/account/secret-question/", "logged_in"),
    ("/password/reset/", "anonymous"),
    ("/activate/", "anonymous"),
    ("/account/contact-email/", "anonymous"),
]


@pytest.mark.parametrize("path,who", SECRET_PAGES)
def test_pages_showing_or_receiving_a_secret_are_never_cached(client, path, who):
    """Every page that shows or receives a password, an answer or a link secret forbids
    caching."""
    if who == "logged_in":
        client.force_login(MembershipFactory(primary_manager=True).user)
    response = client.get(path)
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, cache_control


@pytest.mark.parametrize(
    "path,fields",
    [
        ("/account/password/", {"current_password", "password", "confirmation"}),
        ("/account/secret-question/", {"current_password", "answer"}),
    ],
)
def test_views_receiving_a_secret_hide_it_from_error_reports(client, path, fields):
    """The POST parameters carrying a password or an answer are marked sensitive, so Django's
    error reports never show them."""
    client.force_login(MembershipFactory(primary_manager=True).user)
    response = client.post(path, {name: PASSWORD for name in fields})
    assert set(response.wsgi_request.sensitive_post_parameters) == fields


def test_structure_page_hides_the_transfer_password_from_error_reports(client):
    """The role transfer's password is a sensitive parameter too."""
    member = MembershipFactory(primary_manager=True)
    client.force_login(member.user)
    response = client.post(
        f"/structures/{member.structure_id}/", {"transfer": "1", "password": "x"}
    )
    assert list(response.wsgi_request.sensitive_post_parameters) == ["password"]
    assert "no-store" in response.headers["Cache-Control"]


def test_activation_and_reset_pages_hide_their_secrets_from_error_reports(client):
    """The activation and reset posts mark the password, its confirmation and the answer."""
    journey.register(client, "hide@example.org")
    client.get(journey.activation_path("hide@example.org"))
    response = client.post("/activate/", {"password": "x"})
    assert set(response.wsgi_request.sensitive_post_parameters) == {
        "password",
        "confirmation",
        "answer",
    }
