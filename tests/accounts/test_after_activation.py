"""After activation: dashboard, my account, contact e-mail, password and secret question."""

import re

import pytest

from accounts import secret
from accounts.models import OneTimeToken
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures.models import Membership
from tests.factories import PASSWORD, MembershipFactory
from tests.mail import deliver, last_link
from workareas.models import AreaAssignment

pytestmark = pytest.mark.django_db


def areas_of(membership):
    return set(
        AreaAssignment.objects.filter(membership=membership).values_list("area__code", flat=True)
    )


def test_dashboard_shows_structure_role_and_area_tabs(client, manager):
    """The dashboard lists the structure with the role, and a tab per open area."""
    client.force_login(manager.user)
    page = client.get("/dashboard/").content.decode()
    assert manager.structure.name in page and "Primary manager" in page
    assert 'href="/dashboard/areas/issued-invoices/"' in page
    assert 'href="/dashboard/areas/sent-requests/"' in page
    assert 'href="/dashboard/areas/commitments/"' not in page


def test_area_page_explains_and_invents_nothing(client, manager):
    """An area's page says what it is for and where its features live."""
    client.force_login(manager.user)
    page = client.get("/dashboard/areas/issued-invoices/").content.decode()
    assert "Submit and view the issued invoices" in page
    assert "invoicing part of Chorus Pro" in page
    assert client.get("/dashboard/areas/commitments/").status_code == 404


def test_pending_requester_sees_only_sent_requests(client, manager):
    """Until approved, a requester sees "Sent requests" and the account, nothing else."""
    joiner = MembershipFactory(structure=manager.structure, requested=True)
    client.force_login(joiner.user)
    page = client.get("/dashboard/").content.decode()
    assert 'href="/dashboard/areas/issued-invoices/"' not in page
    assert 'href="/dashboard/areas/sent-requests/"' in page
    sent = client.get("/dashboard/areas/sent-requests/").content.decode()
    assert f"Join {manager.structure.name}" in sent and "Join request pending" in sent
    assert (
        "Your work areas open once a manager" in client.get("/account/work-areas/").content.decode()
    )


def test_profile_change_names_and_language(client, manager):
    """Names, phone and language are saved; the page switches to the chosen language."""
    client.force_login(manager.user)
    user = manager.user
    response = client.post(
        "/account/",
        {
            "first_name": "Zoé",
            "last_name": "Lefèvre",
            "phone": "01 23 45 67 89",
            "preferred_language": "fr",
            "contact_email": user.notification_email,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.preferred_language) == ("Zoé", "Lefèvre", "fr")
    assert not OutgoingEmail.objects.filter(kind="contact_email_confirmation").exists()


def test_contact_email_takes_effect_once_confirmed(client, manager):
    """A new contact e-mail receives a link; it replaces the old one only when confirmed."""
    client.force_login(manager.user)
    user = manager.user
    old = user.notification_email
    client.post(
        "/account/",
        {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": "",
            "preferred_language": "en",
            "contact_email": "billing@example.org",
        },
    )
    user.refresh_from_db()
    assert user.notification_email == old
    mail = OutgoingEmail.objects.get(kind="contact_email_confirmation")
    assert mail.to == "billing@example.org"
    path = last_link("billing@example.org", "/account/contact-email/")
    path = path.removeprefix("http://127.0.0.1:8000")
    assert client.get(path)["Location"] == "/account/contact-email/"
    user.refresh_from_db()
    assert user.notification_email == old  # the GET changes nothing
    assert "billing@example.org" in client.get("/account/contact-email/").content.decode()
    client.post("/account/contact-email/")
    user.refresh_from_db()
    assert user.contact_email == "billing@example.org"
    client.get(path)
    assert "This link is not valid" in client.post("/account/contact-email/").content.decode()


def test_change_password_needs_the_current_one_and_the_policy(client, manager):
    """The current password is required and the new one follows the same policy."""
    client.force_login(manager.user)
    bad = client.post(
        "/account/password/",
        {
            "current_password": "wrong",
            "password": "Nouveau-Mot2Passe",
            "confirmation": "Nouveau-Mot2Passe",
        },
    ).content.decode()
    assert "This is not your current password." in bad
    weak = client.post(
        "/account/password/",
        {"current_password": PASSWORD, "password": "short", "confirmation": "short"},
    ).content.decode()
    assert "too short" in weak
    response = client.post(
        "/account/password/",
        {
            "current_password": PASSWORD,
            "password": "Nouveau-Mot2Passe",
            "confirmation": "Nouveau-Mot2Passe",
        },
    )
    assert response["Location"] == "/account/"
    manager.user.refresh_from_db()
    assert manager.user.check_password("Nouveau-Mot2Passe")
    assert client.get("/dashboard/").status_code == 200  # this session goes on
    assert OutgoingEmail.objects.filter(kind="password_changed").exists()
    assert AuditEvent.objects.filter(kind="password_change").exists()


def test_change_secret_question(client, manager):
    """The secret question and answer change with the current password."""
    client.force_login(manager.user)
    response = client.post(
        "/account/secret-question/",
        {
            "current_password": PASSWORD,
            "secret_question": "birth_city",
            "custom_question": "",
            "answer": "Saint-Étienne",
        },
    )
    assert response["Location"] == "/account/"
    manager.user.refresh_from_db()
    assert manager.user.secret_question == "birth_city"
    assert secret.answer_matches("saint-etienne", manager.user.secret_answer_hash)


def test_work_areas_add_remove_and_locked(client, manager):
    """A manager adds and removes areas; "Sent requests" stays on whatever is posted."""
    client.force_login(manager.user)
    page = client.get("/account/work-areas/").content.decode()
    assert page.count('role="switch"') == 9
    client.post("/account/work-areas/", {"areas": ["commitments", "work-invoices"]})
    assert areas_of(manager) == {"commitments", "work-invoices", "sent-requests"}
    assert AuditEvent.objects.filter(kind="work_areas_change").exists()


def test_plain_user_cannot_open_an_area_the_structure_has_not(client, manager):
    """A user sees why an area not opened by the structure is unavailable, and cannot force it."""
    member = MembershipFactory(
        structure=manager.structure, areas=["issued-invoices", "sent-requests"]
    )
    client.force_login(member.user)
    page = client.get("/account/work-areas/").content.decode()
    assert "Not opened by your structure" in page
    tag = re.search(r'<input[^>]*id="area-commitments"[^>]*>', page).group(0)
    assert "disabled" in tag
    client.post("/account/work-areas/", {"areas": ["commitments", "issued-invoices"]})
    assert areas_of(member) == {"issued-invoices", "sent-requests"}


def test_restricted_area_says_why(client, manager):
    """A restricted area carries its restriction note next to its switch."""
    client.force_login(manager.user)
    page = client.get("/account/work-areas/").content.decode()
    assert "Restricted to providers of justice costs invoices" in page


def test_someone_elses_structure_is_refused(client, manager):
    """A person cannot open a structure they do not belong to."""
    stranger = MembershipFactory()
    client.force_login(stranger.user)
    assert client.get(f"/structures/{manager.structure_id}/").status_code == 403
    assert Membership.objects.filter(user=stranger.user).count() == 1


def test_one_time_tokens_cover_contact_change(manager):
    """The contact confirmation token is stored hashed like the others."""
    from accounts.services.account import profile_update

    profile_update(
        user=manager.user,
        first_name="A",
        last_name="B",
        phone="",
        preferred_language="en",
        contact_email="new@example.org",
    )
    deliver(kind="contact_email_confirmation")  # the link is minted when its mail leaves
    token = OneTimeToken.objects.get(purpose="contact_email")
    assert token.payload == "new@example.org" and len(token.token_hash) == 64
