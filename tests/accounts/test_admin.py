"""The admin of users, outgoing e-mails and the audit log."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.flows.tokens import issue_activation_link
from accounts.models import AuditEvent, OneTimeToken, OutgoingEmail, User
from accounts.tasks import send_outgoing_email
from tests.admin_support import listed, log_in, messages_of, run_action
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")
EMAILS = reverse("admin:accounts_outgoingemail_changelist")
AUDIT = reverse("admin:accounts_auditevent_changelist")


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


# Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:accounts_user_change",
        "admin:auth_user_password_change",
        "admin:accounts_outgoingemail_changelist",
        "admin:accounts_outgoingemail_change",
        "admin:accounts_auditevent_changelist",
        "admin:accounts_auditevent_change",
    ],
)
def test_admin_pages_open_for_a_superuser(admin_client, admin_user, url_name):
    """Each changelist, add and change page of the accounts admin opens for a superuser."""
    user = UserFactory()
    objects = {
        "user": user,
        "outgoingemail": _outgoing_email(user=user),
        "auditevent": AuditEvent.objects.create(
            kind=AuditEvent.Kind.LOGIN_SUCCESS, user=user, email=user.email, detail={"a": 1}
        ),
    }
    model = "user" if url_name.startswith("admin:auth_user") else url_name.split("_")[1]
    args = [objects[model].pk] if url_name.endswith("_change") else []
    response = admin_client.get(reverse(url_name, args=args))
    assert response.status_code == 200


@pytest.mark.parametrize("url", [USERS, EMAILS, AUDIT])
def test_staff_without_permission_is_refused(client, url):
    """A staff member with no permission on a model cannot open its changelist."""
    staff = UserFactory(active=True, is_staff=True)
    log_in(client, staff.email, PASSWORD)
    assert client.get(url).status_code == 403


# Users -------------------------------------------------------------------------------------


def test_user_search_by_email_and_names(admin_client):
    """The user search matches the login e-mail and the first and last names."""
    anna = UserFactory(email="anna.bell@acme.fr", first_name="Anna", last_name="Bell")
    bruno = UserFactory(email="b.roux@other.fr", first_name="Bruno", last_name="Roux")
    assert listed(admin_client.get(USERS, {"q": "acme.fr"}), User) == {anna.pk}
    assert listed(admin_client.get(USERS, {"q": "Bruno"}), User) == {bruno.pk}
    assert listed(admin_client.get(USERS, {"q": "Roux"}), User) == {bruno.pk}


def test_user_filters_on_active_and_staff(admin_client, admin_user):
    """The is_active and is_staff filters keep only the matching users."""
    waiting = UserFactory(is_active=False)
    active = UserFactory(is_active=True)
    staff = UserFactory(is_active=True, is_staff=True)
    assert listed(admin_client.get(USERS, {"is_active__exact": "0"}), User) == {waiting.pk}
    assert listed(admin_client.get(USERS, {"is_active__exact": "1"}), User) == {
        active.pk,
        staff.pk,
        admin_user.pk,
    }
    assert listed(admin_client.get(USERS, {"is_staff__exact": "1"}), User) == {
        staff.pk,
        admin_user.pk,
    }


def test_user_add_form_takes_email_and_password(admin_client):
    """A user is created from a login e-mail (normalised) and a password checked by the
    production validators."""
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "  New.Person@Example.ORG ",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.check_password(PASSWORD)
    assert user.contact_email == "new.person@example.org"
    assert not user.is_active


def test_user_add_form_applies_password_validators(admin_client):
    """A short password is refused on the add page, as on the site."""
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "short@example.org",
            "usable_password": "true",
            "password1": "abc",
            "password2": "abc",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="short@example.org").exists()


def test_user_change_page_never_shows_the_hashes(admin_client):
    """Neither the password hash nor the secret answer's hash appear in the change page."""
    user = UserFactory(active=True)
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content
    page = page.decode()
    for encoded in (user.password, user.secret_answer_hash):
        assert encoded
        assert encoded not in page
        salt, digest = encoded.rsplit("$", 2)[-2:]
        assert salt not in page
        assert digest not in page
    assert "secret_answer_hash" not in page


def test_user_change_saves_profile_and_keeps_hashes(admin_client):
    """Saving the change page edits the profile and leaves the password and answer alone."""
    user = UserFactory(active=True)
    before = (user.password, user.secret_answer_hash)
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": user.email,
            "first_name": "Camille",
            "last_name": "Durand",
            "contact_email": "camille@example.org",
            "phone": "0102030405",
            "preferred_language": "fr",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.preferred_language) == ("Camille", "fr")
    assert (user.password, user.secret_answer_hash) == before


def test_user_changelist_refuses_a_filter_on_the_answer_hash(admin_client):
    """A URL filter on the secret answer's hash is refused (no guessing it from the counts)."""
    UserFactory(active=True)
    response = admin_client.get(USERS, {"secret_answer_hash__startswith": "argon2"})
    assert response.status_code == 400


def test_resend_activation_link_to_users_not_activated(
    admin_client, admin_user, django_capture_on_commit_callbacks, mailoutbox
):
    """ "Resend activation link" mails a new link to accounts not activated, skips the others,
    and audits each link sent."""
    waiting = UserFactory(is_active=False)
    activated = UserFactory(is_active=True, activated_at=timezone.now())
    old_token, _raw = _create_activation_token(waiting)

    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(admin_client, USERS, "resend_activation_link", [waiting, activated])

    assert response.status_code == 302
    email = OutgoingEmail.objects.get(kind="activation")
    assert email.to == waiting.email
    assert email.token.user == waiting
    old_token.refresh_from_db()
    assert old_token.revoked_at is not None
    assert len(callbacks) == 1
    assert not OutgoingEmail.objects.filter(to=activated.email).exists()
    assert messages_of(response) == [
        "A new activation link was sent to 1 user.",
        "1 user skipped: the account is already activated.",
    ]
    event = _admin_actions(admin_user).get()
    assert event.user == waiting
    assert event.detail["action"] == "resend_activation_link"
    assert event.detail["object"] == waiting.email
    assert event.ip_address == "127.0.0.1"

    send_outgoing_email.apply(args=[email.pk])
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [waiting.email]
    assert "/activate/" in mailoutbox[0].body


def _create_activation_token(user):
    from accounts.flows.tokens import create_token

    return create_token(user=user, purpose=OneTimeToken.Purpose.ACTIVATION)


def test_deactivate_users(admin_client, admin_user):
    """ "Deactivate" turns accounts inactive and audits each, but never the admin's own."""
    active = UserFactory(is_active=True, activated_at=timezone.now())
    response = run_action(admin_client, USERS, "deactivate", [active, admin_user])

    active.refresh_from_db()
    admin_user.refresh_from_db()
    assert not active.is_active
    assert active.activated_at is not None
    assert admin_user.is_active
    assert messages_of(response) == [
        "1 user deactivated.",
        "1 user skipped: already inactive, or your own account.",
    ]
    event = _admin_actions(admin_user).get()
    assert (event.user, event.detail["action"]) == (active, "deactivate")


def test_deleting_a_user_is_audited(admin_client, admin_user):
    """Deleting a user on the delete page writes an audit event that keeps their address."""
    user = UserFactory(email="gone@example.org")
    response = admin_client.post(
        reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    event = _admin_actions(admin_user).get()
    assert (event.email, event.detail["action"], event.detail["pk"]) == (
        "gone@example.org",
        "delete",
        user.pk,
    )


def test_user_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 users costs a fixed number of queries, not one per row."""
    UserFactory.create_batch(50)
    with django_assert_max_num_queries(8):
        response = admin_client.get(USERS)
    assert len(response.context["cl"].result_list) == 51


# Outgoing e-mails --------------------------------------------------------------------------


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
    url = reverse("admin:accounts_outgoingemail_change", args=[email.pk])
    page = admin_client.get(url).content.decode()
    assert "Bonjour &lt;Claire&gt;,\nvotre compte" in page
    assert "SMTP 451" in page
    assert 'name="_save"' not in page
    assert admin_client.post(url, {"status": "sent"}).status_code == 403
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING


def test_outgoing_email_page_hides_one_time_link_secrets(admin_client):
    """An activation mail is shown without the secret of its link, which would let an admin
    activate the account."""
    user = UserFactory()
    email = issue_activation_link(user)
    raw = re.search(r"/activate/([A-Za-z0-9_-]+)/", email.body_text).group(1)
    page = admin_client.get(reverse("admin:accounts_outgoingemail_change", args=[email.pk]))
    page = page.content.decode()
    assert "/activate/[secret hidden]/" in page
    assert raw not in page


def test_outgoing_email_add_is_refused(admin_client):
    """Mails are written by the code that sends them, never added by hand."""
    assert admin_client.get(reverse("admin:accounts_outgoingemail_add")).status_code == 403


def test_retry_now_requeues_failed_emails(
    admin_client, admin_user, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    """ "Retry now" sets failed mails back to pending (attempts kept), queues them after commit,
    skips the others and audits each retry; the task then sends the mail."""
    queued = []
    monkeypatch.setattr("accounts.mail.enqueue_send", queued.append)
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


# Audit log ---------------------------------------------------------------------------------


def test_audit_log_is_read_only(admin_client):
    """Nobody adds, edits or deletes an audit event from the admin."""
    event = AuditEvent.objects.create(kind=AuditEvent.Kind.LOGIN_FAILURE, email="a@example.org")
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    assert admin_client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert 'name="_save"' not in admin_client.get(change).content.decode()
    assert admin_client.post(change, {"email": "b@example.org"}).status_code == 403
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        AUDIT, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code in (200, 302)


def test_audit_log_search_by_email_and_ip(admin_client):
    """The audit log is searched by e-mail and by IP address."""
    first = AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN_FAILURE, email="anna@acme.fr", ip_address="203.0.113.7"
    )
    second = AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN_SUCCESS, email="bruno@other.fr", ip_address="198.51.100.2"
    )
    assert listed(admin_client.get(AUDIT, {"q": "acme.fr"}), AuditEvent) == {first.pk}
    assert listed(admin_client.get(AUDIT, {"q": "198.51.100"}), AuditEvent) == {second.pk}


def test_audit_log_filters_on_kind_and_date(admin_client):
    """The audit log is filtered by kind and by date."""
    lockout = AuditEvent.objects.create(kind=AuditEvent.Kind.LOCKOUT, email="a@example.org")
    old = AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGOUT,
        email="b@example.org",
        created_at=timezone.now() - timedelta(days=40),
    )
    assert listed(admin_client.get(AUDIT, {"kind__exact": "lockout"}), AuditEvent) == {lockout.pk}
    today = timezone.localdate()
    recent = {
        "created_at__gte": str(today - timedelta(days=7)),
        "created_at__lt": str(today + timedelta(days=1)),
    }
    shown = listed(admin_client.get(AUDIT, recent), AuditEvent)
    assert lockout.pk in shown
    assert old.pk not in shown


def test_audit_event_page_shows_detail_escaped(admin_client):
    """The event's detail is shown as indented JSON, escaped."""
    event = AuditEvent.objects.create(
        kind=AuditEvent.Kind.ADMIN_ACTION, detail={"object": "<script>alert(1)</script>"}
    )
    page = admin_client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    page = page.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&quot;object&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page


def test_audit_log_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 events, each with an actor, costs a fixed number of queries."""
    actors = UserFactory.create_batch(5)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            kind=AuditEvent.Kind.ADMIN_ACTION,
            actor=actors[n % 5],
            user=actors[(n + 1) % 5],
            email=f"p{n}@example.org",
            ip_address="192.0.2.1",
        )
        for n in range(50)
    )
    with django_assert_max_num_queries(8):
        response = admin_client.get(AUDIT)
    # The admin's own log-in is in the log too.
    assert len(response.context["cl"].result_list) == AuditEvent.objects.count() == 51
