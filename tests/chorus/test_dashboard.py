"""The admin's index: today's figures, each a link to the filtered list it counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import OutgoingEmail
from structures.models import Structure
from tests import journey
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def figures(page: str) -> dict[str, tuple[str, str]]:
    """{label: (link, value)} of the figures table."""
    table = page.split('id="today-figures"')[1].split("</table>")[0]
    rows = re.findall(
        r'<th scope="row">(?:<a href="([^"]*)">)?([^<]+)(?:</a>)?</th>\s*<td>([^<]*)</td>', table
    )
    return {label: (link.replace("&amp;", "&"), value.strip()) for link, label, value in rows}


def test_index_shows_todays_figures_with_links(admin_client):
    """Registrations, mails waiting and failed, structures to verify: counted and linked."""
    old = MembershipFactory(primary_manager=True).user
    # Everyone so far (the admin too) registered two days ago.
    type(old).objects.update(date_joined=timezone.now() - timedelta(days=2))
    journey.register(admin_client.__class__(), "today@example.org")
    OutgoingEmail.objects.filter(to="today@example.org").update(status=OutgoingEmail.Status.FAILED)
    Structure.objects.update(verification=Structure.Verification.PENDING)

    shown = figures(admin_client.get("/admin/").content.decode())
    link, value = shown["Registrations today"]
    assert value == "1"
    listed = admin_client.get(link).content.decode()
    assert "today@example.org" in listed and old.email not in listed
    link, value = shown["Mails failed"]
    assert value == "1" and "today@example.org" in admin_client.get(link).content.decode()
    link, value = shown["Mails waiting to leave"]
    waiting = OutgoingEmail.objects.filter(status__in=OutgoingEmail.WAITING)
    assert value == str(waiting.count())
    waiting_page = admin_client.get(link).content.decode()
    assert "today@example.org" not in waiting_page  # failed, not waiting
    link, value = shown["Structures awaiting INSEE verification"]
    assert value == str(Structure.objects.count())
    assert admin_client.get(link).status_code == 200
    assert int(shown["INSEE requests left this minute"][1]) >= 0
    link, value = shown["Activations today"]
    assert value == "1" and old.email in admin_client.get(link).content.decode()
