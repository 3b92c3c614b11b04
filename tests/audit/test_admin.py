"""The audit log in the admin: read-only, searchable, escaped."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.admin_support import listed, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = reverse("admin:audit_auditevent_changelist")


@pytest.mark.parametrize(
    "url_name", ["admin:audit_auditevent_changelist", "admin:audit_auditevent_change"]
)
def test_audit_admin_pages_open_for_a_superuser(admin_client, url_name):
    """The audit log's list and event pages open for a superuser."""
    user = UserFactory()
    event = AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN_SUCCESS, user=user, email=user.email, detail={"a": 1}
    )
    args = [event.pk] if url_name.endswith("_change") else []
    assert admin_client.get(reverse(url_name, args=args)).status_code == 200


def test_staff_without_permission_cannot_read_the_audit_log(client):
    """A staff member with no permission on the audit log cannot open it."""
    staff = UserFactory(active=True, is_staff=True)
    log_in(client, staff.email, PASSWORD)
    assert client.get(AUDIT).status_code == 403


def test_audit_log_is_read_only(admin_client):
    """Nobody adds, edits or deletes an audit event from the admin."""
    event = AuditEvent.objects.create(kind=AuditEvent.Kind.LOGIN_FAILURE, email="a@example.org")
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert 'name="_save"' not in admin_client.get(change).content.decode()
    assert admin_client.post(change, {"email": "b@example.org"}).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
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
    page = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
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
    # The admin's own log-in is in the log too (password, code sent, second factor passed).
    assert len(response.context["cl"].result_list) == AuditEvent.objects.count() == 53
