"""Abandoned registrations are purged; links start their clock when their mail is sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OneTimeToken, User
from onboarding.services.registration import registration_purge_abandoned
from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email
from structures.models import Structure
from tests import journey
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_purge_removes_registrations_7_days_after_the_last_link_expired(client):
    """Never activated and last link expired 7 days ago: the user and its lone structure go."""
    journey.register(client, "gone@example.org")
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=7, minutes=1))
    assert registration_purge_abandoned() == 1
    assert not User.objects.filter(email="gone@example.org").exists()
    assert not Structure.objects.filter(siret=journey.COMPANY_SIRET).exists()


def test_purge_waits_7_days(client):
    """Six days after expiry the registration is still there and a new link can be asked."""
    journey.register(client, "wait@example.org")
    OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(days=6))
    assert registration_purge_abandoned() == 0
    assert User.objects.filter(email="wait@example.org").exists()


def test_purge_keeps_a_structure_someone_else_belongs_to(client):
    """The structure stays when another person is in it."""
    manager = MembershipFactory(primary_manager=True, structure__siret=journey.COMPANY_SIRET)
    journey.register(client, "joiner@example.org")
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
    """A mail sent late (broker down) still carries a link valid for the whole TTL."""
    journey.register(client, "late@example.org")
    token = OneTimeToken.objects.get(user__email="late@example.org")
    OneTimeToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + timedelta(minutes=1)
    )
    row = OutgoingEmail.objects.get(to="late@example.org")
    send_outgoing_email.apply(args=[row.pk])
    token.refresh_from_db()
    remaining = (token.expires_at - timezone.now()).total_seconds()
    assert settings.ACTIVATION_LINK_TTL - 60 < remaining <= settings.ACTIVATION_LINK_TTL
    assert len(mailoutbox) == 1
