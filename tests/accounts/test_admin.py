"""The admin of users, outgoing e-mails and the audit log."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import OneTimeToken, User
from accounts.services.links import link_create
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email
from tests.admin_support import change_form_data, listed, log_in, messages_of, run_action
from tests.factories import PASSWORD, UserFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")


def _admin_actions(admin_user):
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)


# Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:accounts_user_change",
        "admin:auth_user_password_change",
    ],
)
def test_admin_pages_open_for_a_superuser(admin_client, admin_user, url_name):
    """Each changelist, add and change page of the users admin opens for a superuser."""
    user = UserFactory()
    args = [user.pk] if url_name.endswith("_change") else []
    response = admin_client.get(reverse(url_name, args=args))
    assert response.status_code == 200


@pytest.mark.parametrize("url", [USERS])
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
    deliver(kind="activation")  # the link is minted when the mail leaves
    assert OneTimeToken.objects.get(mail=email).user == waiting
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
    return link_create(user=user, purpose=OneTimeToken.Purpose.ACTIVATION)


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


# Changes made in the change forms ----------------------------------------------------------

NEW_PASSWORD = "Nouv3au-Secret-Admin!"


def _audit_log_text() -> str:
    """Every audit row, every column, as one string: a secret must appear nowhere in it."""
    return json.dumps(list(AuditEvent.objects.values()), default=str)


def test_user_change_is_audited_with_the_changed_field_names(admin_client, admin_user):
    """Saving a user's change page writes an "change" event naming the changed fields, the
    groups (many-to-many) included, with the user as the person concerned."""
    user = UserFactory(active=True)
    group = Group.objects.create(name="Help desk")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = change_form_data(admin_client.get(url))
    data.update(first_name="Camille", phone="0102030405", groups=[group.pk])

    assert admin_client.post(url, data).status_code == 302

    event = _admin_actions(admin_user).get()
    assert (event.user, event.email) == (user, user.email)
    assert event.detail["action"] == "change"
    assert event.detail["pk"] == user.pk
    assert sorted(event.detail["fields"]) == ["first_name", "groups", "phone"]
    assert "Camille" not in json.dumps(event.detail)


def test_user_saved_unchanged_writes_no_event(admin_client, admin_user):
    """Saving a user's change page without changing anything records nothing."""
    user = UserFactory(active=True)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert admin_client.post(url, change_form_data(admin_client.get(url))).status_code == 302
    assert not _admin_actions(admin_user).exists()


def test_user_add_is_audited_without_the_password(admin_client, admin_user):
    """Adding a user writes an "add" event; the password typed appears in no audit row."""
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.person@example.org",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    event = _admin_actions(admin_user).get()
    assert (event.user, event.detail["action"]) == (user, "add")
    assert "email" in event.detail["fields"]
    assert NEW_PASSWORD not in _audit_log_text()
    assert user.password not in _audit_log_text()


def test_password_changed_by_an_admin_is_audited_without_the_password(admin_client, admin_user):
    """Setting a user's password on the admin's "change password" page writes a
    "password_change" event about that user; neither the new password nor its hash appears in
    any audit row."""
    user = UserFactory(active=True)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    event = _admin_actions(admin_user).get()
    assert (event.user, event.detail["action"], event.detail["fields"]) == (
        user,
        "password_change",
        ["password"],
    )
    log = _audit_log_text()
    assert NEW_PASSWORD not in log
    assert user.password not in log
    assert user.password.rsplit("$", 1)[-1] not in log


def test_refused_password_change_writes_no_event(admin_client, admin_user):
    """A password refused by the validators on the admin's page changes nothing and records
    nothing."""
    user = UserFactory(active=True)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": "abc", "password2": "abc"},
    )
    assert response.status_code == 200
    assert not _admin_actions(admin_user).exists()


def test_group_permission_change_is_audited(admin_client, admin_user):
    """Granting a group a permission in the admin is audited with the field's name."""
    group = Group.objects.create(name="Support")
    permission = Permission.objects.get(codename="view_user")
    url = reverse("admin:auth_group_change", args=[group.pk])
    data = change_form_data(admin_client.get(url))
    data["permissions"] = [permission.pk]

    assert admin_client.post(url, data).status_code == 302

    event = _admin_actions(admin_user).get()
    assert (event.detail["action"], event.detail["model"]) == ("change", "auth.group")
    assert event.detail["fields"] == ["permissions"]
