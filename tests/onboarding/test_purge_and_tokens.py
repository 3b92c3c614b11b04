"""Abandoned registrations are purged; links start their clock when their mail is sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OneTimeToken, User
from audit.models import AuditEvent
from onboarding.services.registration import registration_purge_abandoned
from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email
from structures.models import Structure
from tests import journey
from tests.factories import MembershipFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db


def test_purge_removes_registrations_7_days_after_the_last_link_expired(client):
    """Never activated and last link expired 7 days ago: the user and its lone structure go."""
    journey.register(client, "gone@example.org")
    deliver()
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=7, minutes=1))
    assert registration_purge_abandoned() == 1
    assert not User.objects.filter(email="gone@example.org").exists()
    assert not Structure.objects.filter(siret=journey.COMPANY_SIRET).exists()


def test_purge_waits_7_days(client):
    """Six days after expiry the registration is still there and a new link can be asked."""
    journey.register(client, "wait@example.org")
    deliver()
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=6))
    assert registration_purge_abandoned() == 0
    assert User.objects.filter(email="wait@example.org").exists()


def test_purge_keeps_a_structure_someone_else_belongs_to(client):
    """The structure stays when another person is in it."""
    manager = MembershipFactory(primary_manager=True, structure__siret=journey.COMPANY_SIRET)
    journey.register(client, "joiner@example.org")
    deliver()
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=8))
    assert registration_purge_abandoned() == 1
    assert Structure.objects.filter(pk=manager.structure_id).exists()


def test_purge_never_touches_active_accounts(client):
    """Activated accounts are not purged, however old their links."""
    member = MembershipFactory()
    OneTimeToken.objects.create(
        user=member.user,
        purpose="activation",
        token_hash="0" * 64,
        expires_at=timezone.now() - timedelta(days=30),
        used_at=timezone.now(),
    )
    assert registration_purge_abandoned() == 0


def test_link_validity_starts_when_the_mail_is_sent(client, settings, mailoutbox):
    """A mail sent late (broker down) still carries a link valid for the whole TTL: the link
    is minted when the mail leaves."""
    journey.register(client, "late@example.org")
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(hours=2))
    row = OutgoingEmail.objects.get(to="late@example.org")
    send_outgoing_email.apply(args=[row.pk])
    token = OneTimeToken.objects.get(user__email="late@example.org")
    remaining = (token.expires_at - timezone.now()).total_seconds()
    assert settings.ACTIVATION_LINK_TTL - 60 < remaining <= settings.ACTIVATION_LINK_TTL
    assert len(mailoutbox) == 1


def test_purge_forgets_a_registration_whose_mail_never_left(client):
    """With no link ever minted (the mail never left), the registration is purged 7 days
    after it was made."""
    journey.register(client, "never-sent@example.org")
    User.objects.update(date_joined=timezone.now() - timedelta(days=7, minutes=1))
    assert registration_purge_abandoned() == 1
    assert not User.objects.filter(email="never-sent@example.org").exists()


def test_purge_removes_the_mails_and_pseudonymises_the_audit_events(client):
    """The purged registration's mail rows go, and its audit events keep a pseudonym instead
    of the address."""
    journey.register(client, "forget-me@example.org")
    deliver()
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=8))
    assert registration_purge_abandoned() == 1
    assert not OutgoingEmail.objects.filter(to="forget-me@example.org").exists()
    assert not AuditEvent.objects.filter(email="forget-me@example.org").exists()
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.REGISTRATION)
    assert events.count() == 1
    assert events.get().email.startswith("erased:")
    purge = AuditEvent.objects.get(kind=AuditEvent.Kind.PURGE)
    assert purge.email == events.get().email
