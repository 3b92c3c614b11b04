"""Step 4: the activation link, the page, every state of the link, the primary manager."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import secret
from accounts.models import OneTimeToken, User
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures.models import Membership
from tests import journey
from tests.factories import MembershipFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db

GOOD = {
    "password": "ÉtéFacture2026",
    "confirmation": "ÉtéFacture2026",
    "secret_question": "pet",
    "custom_question": "",
    "answer": "  Médor  le Chien ",
}


@pytest.fixture
def registered(client):
    journey.register(client, "claire@example.org")
    deliver(to="claire@example.org")  # the link is minted when its mail leaves
    return User.objects.get(email="claire@example.org")


def open_link(client, email="claire@example.org"):
    response = client.get(journey.activation_path(email))
    assert response.status_code == 302 and response["Location"] == "/activate/"
    return client.get("/activate/")


def test_the_link_is_absolute_and_its_get_changes_nothing(client, registered):
    """The mailed link starts with SITE_URL; opening it changes nothing in the database."""
    assert journey.activation_link(registered.email).startswith("http://127.0.0.1:8000/activate/")
    page = open_link(client).content.decode()
    token = OneTimeToken.objects.get(user=registered)
    assert token.used_at is None
    registered.refresh_from_db()
    assert not registered.is_active
    assert "User account activation" in page


def test_the_token_is_stored_only_as_a_hash(registered):
    """The raw secret of the link is nowhere in the database."""
    raw = journey.activation_path(registered.email).split("/")[2]
    assert len(raw) >= 22  # at least 128 bits, URL-safe base64
    assert not OneTimeToken.objects.filter(token_hash=raw).exists()
    assert OneTimeToken.objects.filter(token_hash__regex=r"^[0-9a-f]{64}$").count() == 1


def test_page_shows_general_information_and_the_meter(client, registered):
    """Read-only information, the password fields, the labelled meter fed by the validators."""
    page = open_link(client).content.decode()
    assert "claire@example.org" in page and "Claire" in page and "Martin" in page
    assert '<label for="id_password">Password' in page
    assert '<label for="id_confirmation">Confirmation' in page
    assert '<label for="password-meter-bar" id="password-meter-label">Password complexity' in page
    assert 'aria-live="polite"' in page
    assert '<script id="password-meter-rules" type="application/json">' in page
    assert '"min_length", "type": "min_length", "value": 12' in page
    assert '<label for="id_secret_question">Secret question' in page
    assert '<label for="id_answer">Answer' in page


def test_activation_sets_everything_and_makes_a_primary_manager(client, registered):
    """Validate: password, hashed answer, token used, user active, primary manager active."""
    open_link(client)
    response = client.post("/activate/", GOOD)
    assert response["Location"] == "/activate/done/"
    page = client.get("/activate/done/").content.decode()
    assert (
        "Your account has been activated, you can now issue invoices to your public client." in page
    )
    assert 'href="/login/"' in page
    user = User.objects.get(pk=registered.pk)
    assert user.is_active and user.activated_at is not None
    assert user.check_password("ÉtéFacture2026")
    assert user.secret_question == "pet"
    assert user.secret_answer_hash.startswith("argon2$")
    assert "dor" not in user.secret_answer_hash
    assert secret.answer_matches("medor le chien", user.secret_answer_hash)
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.PRIMARY_MANAGER
    assert membership.status == Membership.Status.ACTIVE
    assert OneTimeToken.objects.get(user=user).used_at is not None
    assert AuditEvent.objects.filter(kind="activation", user=user).exists()


def test_no_automatic_login_after_activation(client, registered):
    """The link proves the mailbox; it does not log in."""
    open_link(client)
    client.post("/activate/", GOOD)
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/")["Location"].startswith("/login/")


def test_second_activation_is_impossible(client, registered):
    """A used link shows "already used" with log-in and forgot-password ways out."""
    path = journey.activation_path(registered.email)
    open_link(client)
    client.post("/activate/", GOOD)
    client.get(path)
    response = client.post("/activate/", GOOD)
    page = response.content.decode()
    assert "This link has already been used" in page
    assert 'href="/login/"' in page and 'href="/password/forgot/"' in page


def test_expired_link_offers_a_new_one(client, registered):
    """Past ACTIVATION_LINK_TTL the page says so and sends a new link to the same address."""
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = open_link(client).content.decode()
    assert "This activation link has expired" in page
    response = client.post("/activate/resend/")
    assert "If an account is waiting for activation at this address" in response.content.decode()
    deliver(to=registered.email)
    assert OneTimeToken.objects.filter(user=registered).usable().count() == 1
    assert OutgoingEmail.objects.filter(to=registered.email, kind="activation").count() == 2


def test_link_valid_until_ttl(client, registered, settings):
    """The link still works just before its expiry."""
    OneTimeToken.objects.update(expires_at=timezone.now() + timedelta(seconds=30))
    assert "User account activation" in open_link(client).content.decode()


def test_tampered_link_is_generically_invalid(client, registered):
    """A modified or unknown token gives "this link is not valid", whatever it was."""
    path = journey.activation_path(registered.email)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    client.get(tampered)
    page = client.get("/activate/").content.decode()
    assert "This link is not valid" in page
    assert "claire@example.org" not in page
    client.get("/activate/" + "x" * 500 + "/")
    assert "This link is not valid" in client.get("/activate/").content.decode()


def test_opening_activate_without_a_link(client, db):
    """/activate/ with nothing in the session is the generic invalid page, not an error."""
    response = client.get("/activate/")
    assert response.status_code == 200
    assert "This link is not valid" in response.content.decode()


def test_new_link_invalidates_the_old_one(client, registered):
    """After "Send me a new link", the first link no longer activates."""
    old = journey.activation_path(registered.email)
    client.post("/register/resend/")
    new = journey.activation_path(registered.email)
    assert new != old
    client.get(old)
    assert "This link is not valid" in client.get("/activate/").content.decode()
    client.get(new)
    assert "User account activation" in client.get("/activate/").content.decode()


def test_account_already_active(client, registered):
    """A valid link of an account activated another way says the account is active."""
    User.objects.filter(pk=registered.pk).update(is_active=True, activated_at=timezone.now())
    page = open_link(client).content.decode()
    assert "already" in page and 'href="/login/"' in page


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"password": "Abcdefgh1!x", "confirmation": "Abcdefgh1!x"}, "too short"),
        ({"password": "abcdefghijkl1", "confirmation": "abcdefghijkl1"}, "it has 2"),
        ({"password": "Password1234", "confirmation": "Password1234"}, "too common"),
        ({"password": "Claire@example.org", "confirmation": "Claire@example.org"}, "too similar"),
        ({"confirmation": "ÉtéFacture2027"}, "The two passwords are different"),
        ({"answer": "ab"}, "at least 3 characters"),
        ({"answer": "étéfacture2026"}, "must not be your password"),
        ({"secret_question": ""}, "Choose a secret question."),
        ({"secret_question": "custom", "custom_question": ""}, "Write your question"),
    ],
)
def test_each_refusal_is_explained(client, registered, overrides, message):
    """Every refused input says exactly which rule failed, and nothing is activated."""
    open_link(client)
    response = client.post("/activate/", {**GOOD, **overrides})
    assert response.status_code == 200
    assert message in response.content.decode()
    registered.refresh_from_db()
    assert not registered.is_active


def test_custom_question_is_kept(client, registered):
    """ "Write my own question" stores the user's question."""
    open_link(client)
    client.post(
        "/activate/",
        {**GOOD, "secret_question": "custom", "custom_question": "Nom de ma première voiture ?"},
    )
    registered.refresh_from_db()
    assert secret.question_text(registered.secret_question) == "Nom de ma première voiture ?"


def test_joiner_activation_creates_a_pending_request_and_mails_the_managers(client):
    """Someone who registered for an existing structure has, once active, a pending request;
    the managers get a mail at their contact e-mail."""
    manager = MembershipFactory(
        primary_manager=True,
        structure__siret=journey.COMPANY_SIRET,
        user__contact_email="boss-notify@example.org",
    )
    journey.register(client, "joiner@example.org")
    open_link(client, "joiner@example.org")
    client.post("/activate/", GOOD)
    membership = Membership.objects.get(user__email="joiner@example.org")
    assert membership.status == Membership.Status.REQUESTED
    assert membership.role == Membership.Role.USER
    mail = OutgoingEmail.objects.get(kind="join_request")
    assert mail.to == "boss-notify@example.org"
    assert manager.structure.name in mail.subject


def test_activation_post_is_throttled_per_token(client, registered):
    """More than 10 posts an hour on one link are refused with 429."""
    open_link(client)
    bad = {**GOOD, "confirmation": "nope"}
    statuses = [client.post("/activate/", bad).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
