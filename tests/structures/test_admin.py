"""The admin of structures, memberships and join requests, against the INSEE stub."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from outbox.tasks import send_outgoing_email
from structures.models import JoinRequest, Membership, Structure
from tests.admin_support import change_form_data, listed, log_in, messages_of, run_action
from tests.factories import PASSWORD, MembershipFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db

STRUCTURES = reverse("admin:structures_structure_changelist")
MEMBERSHIPS = reverse("admin:structures_membership_changelist")
JOIN_REQUESTS = reverse("admin:structures_joinrequest_changelist")

# In the stub file: an active establishment, and one INSEE answers 503 for.
KNOWN_SIRET = "52601815590833"
OTHER_KNOWN_SIRET = "41298765300018"
UNAVAILABLE_SIRET = "91234567500017"


def _admin_actions(admin_user):
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)


# Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:structures_structure_changelist",
        "admin:structures_structure_add",
        "admin:structures_structure_change",
        "admin:structures_membership_changelist",
        "admin:structures_membership_add",
        "admin:structures_membership_change",
        "admin:structures_joinrequest_changelist",
        "admin:structures_joinrequest_change",
    ],
)
def test_admin_pages_open_for_a_superuser(admin_client, url_name):
    """Each changelist, add and change page of the structures admin opens for a superuser."""
    request = MembershipFactory(requested=True, user__active=False)
    objects = {"structure": request.structure, "membership": request, "joinrequest": request}
    model = url_name.split("_")[1]
    args = [objects[model].pk] if url_name.endswith("_change") else []
    assert admin_client.get(reverse(url_name, args=args)).status_code == 200


def test_join_request_add_is_refused(admin_client):
    """Join requests are made by the requesters on the site, never added in the admin."""
    assert admin_client.get(reverse("admin:structures_joinrequest_add")).status_code == 403


@pytest.mark.parametrize("url", [STRUCTURES, MEMBERSHIPS, JOIN_REQUESTS])
def test_staff_without_permission_is_refused(client, url):
    """A staff member with no permission on a model cannot open its changelist."""
    staff = UserFactory(active=True, is_staff=True)
    log_in(client, staff.email, PASSWORD)
    assert client.get(url).status_code == 403


# Structures --------------------------------------------------------------------------------


def test_structure_search_by_siret_siren_and_name(admin_client):
    """The structure search matches the SIRET, the SIREN and the company name."""
    bakery = StructureFactory(siret=OTHER_KNOWN_SIRET, name="Boulangerie des Trois Moulins")
    other = StructureFactory(name="Encres de Belleville")
    assert listed(admin_client.get(STRUCTURES, {"q": OTHER_KNOWN_SIRET})) == {bakery.pk}
    assert listed(admin_client.get(STRUCTURES, {"q": other.siren})) == {other.pk}
    assert listed(admin_client.get(STRUCTURES, {"q": "moulins"})) == {bakery.pk}


def test_structure_filters(admin_client):
    """Structures are filtered on INSEE verification, non-diffusion and creation date."""
    verified = StructureFactory()
    pending = StructureFactory(
        verification=Structure.Verification.PENDING,
        non_diffusible=True,
        created_at=timezone.now() - timedelta(days=60),
    )
    assert listed(admin_client.get(STRUCTURES, {"verified": "yes"})) == {verified.pk}
    assert listed(admin_client.get(STRUCTURES, {"verified": "no"})) == {pending.pk}
    assert listed(admin_client.get(STRUCTURES, {"verification__exact": "pending"})) == {pending.pk}
    assert listed(admin_client.get(STRUCTURES, {"non_diffusible__exact": "1"})) == {pending.pk}
    today = timezone.localdate()
    past_week = {
        "created_at__gte": str(today - timedelta(days=7)),
        "created_at__lt": str(today + timedelta(days=1)),
    }
    assert listed(admin_client.get(STRUCTURES, past_week)) == {verified.pk}


def test_structure_changelist_counts_active_members(admin_client):
    """The changelist shows each structure's number of active members."""
    manager = MembershipFactory(primary_manager=True, user__active=False)
    MembershipFactory(structure=manager.structure, user__active=False)
    MembershipFactory(structure=manager.structure, requested=True, user__active=False)
    response = admin_client.get(STRUCTURES)
    [structure] = response.context["cl"].result_list
    assert structure.active_member_count == 2


def test_structure_add_checks_the_siret_and_derives_the_siren(admin_client):
    """A structure is added from a valid SIRET, typed with spaces; its SIREN is derived."""
    data = {
        "name": "Ateliers du Pont Neuf",
        "country": "FR",
        "verification": "pending",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    url = reverse("admin:structures_structure_add")
    refused = admin_client.post(url, {**data, "siret": "526 018 155 90834"})
    assert refused.status_code == 200
    assert "This SIRET is not valid" in refused.content.decode()

    response = admin_client.post(url, {**data, "siret": "526 018 155 90833"})
    assert response.status_code == 302
    structure = Structure.objects.get()
    assert (structure.siret, structure.siren) == (KNOWN_SIRET, "526018155")


def test_structure_change_page_shows_snapshot_escaped_and_siret_read_only(admin_client):
    """The INSEE response is shown as indented JSON, escaped, and the SIRET cannot be edited."""
    structure = StructureFactory(insee_snapshot={"denomination": "<b>Ateliers</b>", "n": 1})
    membership = MembershipFactory(structure=structure, user__active=False)
    page = admin_client.get(reverse("admin:structures_structure_change", args=[structure.pk]))
    page = page.content.decode()
    assert "&quot;denomination&quot;: &quot;&lt;b&gt;Ateliers&lt;/b&gt;&quot;" in page
    assert "<b>Ateliers</b>" not in page
    assert 'name="siret"' not in page
    assert membership.user.email in page


def test_structure_change_page_query_count(admin_client, django_assert_max_num_queries):
    """The members inline costs a fixed number of queries, whatever the number of members."""
    structure = StructureFactory()
    MembershipFactory.create_batch(30, structure=structure, user__active=False)
    with django_assert_max_num_queries(8):
        response = admin_client.get(
            reverse("admin:structures_structure_change", args=[structure.pk])
        )
    assert response.status_code == 200


def test_refresh_from_insee(admin_client, admin_user):
    """ "Refresh from INSEE" checks the selected structures, least recently checked first, stops
    when INSEE is unavailable, reports the counts and audits each check."""
    verified = StructureFactory(siret=KNOWN_SIRET, verification=Structure.Verification.PENDING)
    unknown = StructureFactory(verification=Structure.Verification.PENDING)
    unavailable = StructureFactory(
        siret=UNAVAILABLE_SIRET, verification=Structure.Verification.PENDING
    )
    checked_recently = StructureFactory(
        siret=OTHER_KNOWN_SIRET,
        verification=Structure.Verification.PENDING,
        insee_checked_at=timezone.now() - timedelta(hours=1),
    )

    response = run_action(
        admin_client,
        STRUCTURES,
        "refresh_from_insee",
        [checked_recently, unavailable, unknown, verified],
    )

    for structure in (verified, unknown, unavailable, checked_recently):
        structure.refresh_from_db()
    assert verified.verification == Structure.Verification.VERIFIED
    assert verified.insee_snapshot["etablissement"]["siret"] == KNOWN_SIRET
    assert unknown.verification == Structure.Verification.NOT_FOUND
    assert unavailable.verification == Structure.Verification.PENDING
    assert unavailable.insee_last_error
    assert checked_recently.verification == Structure.Verification.PENDING
    assert messages_of(response) == [
        "Checked with INSEE: 1 verified, 1 not found, 0 closed or not public, 1 unavailable.",
        "1 structure not checked: INSEE is unavailable or our request quota is used up. "
        "Try again in a minute.",
    ]
    events = {e.detail["siret"]: e.detail for e in _admin_actions(admin_user)}
    assert set(events) == {KNOWN_SIRET, unknown.siret, UNAVAILABLE_SIRET}
    assert events[KNOWN_SIRET]["action"] == "refresh_from_insee"
    assert events[KNOWN_SIRET]["result"] == "verified"
    assert events[UNAVAILABLE_SIRET]["result"] == "unavailable"


def test_deleting_structures_is_audited(admin_client, admin_user):
    """ "Delete selected" on structures writes an audit event per structure deleted."""
    first, second = StructureFactory.create_batch(2)
    response = admin_client.post(
        STRUCTURES,
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Structure.objects.exists()
    events = _admin_actions(admin_user)
    assert {(e.detail["action"], e.detail["object"]) for e in events} == {
        ("delete", str(first)),
        ("delete", str(second)),
    }


def test_structure_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 structures with their member counts costs a fixed number of queries."""
    MembershipFactory.create_batch(50, user__active=False)
    with django_assert_max_num_queries(8):
        response = admin_client.get(STRUCTURES)
    assert len(response.context["cl"].result_list) == 50


# Memberships -------------------------------------------------------------------------------


def test_membership_search_by_email_siret_and_name(admin_client):
    """Memberships are searched by the member's e-mail and the structure's SIRET and name."""
    anna = MembershipFactory(
        user__email="anna@acme.fr", user__active=False, structure__name="Acme Conseil"
    )
    other = MembershipFactory(user__active=False)
    assert listed(admin_client.get(MEMBERSHIPS, {"q": "anna@acme"})) == {anna.pk}
    assert listed(admin_client.get(MEMBERSHIPS, {"q": other.structure.siret})) == {other.pk}
    assert listed(admin_client.get(MEMBERSHIPS, {"q": "acme conseil"})) == {anna.pk}


def test_membership_filters_on_role_and_status(admin_client):
    """Memberships are filtered by role and by status."""
    manager = MembershipFactory(primary_manager=True, user__active=False)
    request = MembershipFactory(requested=True, user__active=False)
    assert listed(admin_client.get(MEMBERSHIPS, {"role__exact": "primary_manager"})) == {manager.pk}
    assert listed(admin_client.get(MEMBERSHIPS, {"status__exact": "requested"})) == {request.pk}


def test_membership_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 memberships costs a fixed number of queries, not one per row."""
    MembershipFactory.create_batch(50, user__active=False)
    with django_assert_max_num_queries(8):
        response = admin_client.get(MEMBERSHIPS)
    assert len(response.context["cl"].result_list) == 50


# Join requests -----------------------------------------------------------------------------


def test_join_requests_lists_only_requested_and_refused(admin_client):
    """The join requests admin shows the pending and refused requests, not the members."""
    requested = MembershipFactory(requested=True, user__active=False)
    refused = MembershipFactory(status=Membership.Status.REFUSED, user__active=False)
    MembershipFactory(user__active=False)
    MembershipFactory(status=Membership.Status.AWAITING_ACTIVATION, user__active=False)
    assert listed(admin_client.get(JOIN_REQUESTS)) == {requested.pk, refused.pk}
    assert listed(admin_client.get(JOIN_REQUESTS, {"status": "refused"})) == {refused.pk}
    assert listed(admin_client.get(JOIN_REQUESTS, {"q": requested.user.email})) == {requested.pk}


def test_join_request_page_is_read_only(admin_client):
    """A join request is decided with the actions, never by editing its status."""
    request = MembershipFactory(requested=True, user__active=False)
    url = reverse("admin:structures_joinrequest_change", args=[request.pk])
    assert 'name="_save"' not in admin_client.get(url).content.decode()
    assert admin_client.post(url, {"status": "active"}).status_code == 403
    request.refresh_from_db()
    assert request.status == Membership.Status.REQUESTED


def test_approve_join_requests(admin_client, admin_user, mailoutbox):
    """ "Approve" makes the requester an active member through the service, mails them as the
    site does, skips requests already decided and audits each approval."""
    manager = MembershipFactory(primary_manager=True, user__active=False)
    request = MembershipFactory(
        structure=manager.structure, requested=True, user__contact_email="anna@acme.fr"
    )
    refused = MembershipFactory(status=Membership.Status.REFUSED, user__active=False)

    response = run_action(admin_client, JOIN_REQUESTS, "approve", [request, refused])

    request.refresh_from_db()
    refused.refresh_from_db()
    assert request.status == Membership.Status.ACTIVE
    assert request.decided_by == admin_user
    assert refused.status == Membership.Status.REFUSED
    assert messages_of(response) == [
        "1 join request approved; the requester was told by mail.",
        "1 request skipped: it is no longer waiting for a decision.",
    ]
    event = _admin_actions(admin_user).get(kind=AuditEvent.Kind.ADMIN_ACTION)
    assert (event.user, event.detail["action"]) == (request.user, "approve_join")
    assert event.detail["siret"] == manager.structure.siret
    approval = AuditEvent.objects.get(kind=AuditEvent.Kind.JOIN_APPROVED)
    assert (approval.actor, approval.detail["by_admin"]) == (admin_user, True)

    email = OutgoingEmail.objects.get(kind="join_decision")
    assert email.to == "anna@acme.fr"
    send_outgoing_email.apply(args=[email.pk])
    assert [m.to for m in mailoutbox] == [["anna@acme.fr"]]
    assert "was approved" in mailoutbox[0].body


def test_refuse_join_requests(admin_client, admin_user, django_capture_on_commit_callbacks):
    """ "Refuse" refuses the request through the service, queues the requester's mail after
    commit and audits the refusal."""
    request = MembershipFactory(requested=True, user__active=False)

    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(admin_client, JOIN_REQUESTS, "refuse", [request])

    request.refresh_from_db()
    assert request.status == Membership.Status.REFUSED
    assert request.decided_by == admin_user
    assert messages_of(response) == ["1 join request refused; the requester was told by mail."]
    email = OutgoingEmail.objects.get(kind="join_decision")
    assert email.to == request.user.notification_email
    assert len(callbacks) == 1
    event = _admin_actions(admin_user).get(kind=AuditEvent.Kind.ADMIN_ACTION)
    assert event.detail["action"] == "refuse_join"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.JOIN_REFUSED, actor=admin_user).exists()


def test_join_request_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 join requests costs a fixed number of queries, not one per row."""
    MembershipFactory.create_batch(50, requested=True, user__active=False)
    decider = UserFactory()
    JoinRequest.objects.update(
        status=Membership.Status.REFUSED, decided_by=decider, decided_at=timezone.now()
    )
    with django_assert_max_num_queries(8):
        response = admin_client.get(JOIN_REQUESTS)
    assert len(response.context["cl"].result_list) == 50


# Changes made in the change forms ----------------------------------------------------------


def test_structure_change_is_audited_with_the_changed_fields_and_inlines(admin_client, admin_user):
    """Saving a structure's change page writes one "change" event naming the structure's
    changed fields and the member rows changed in the inline, without their values."""
    structure = StructureFactory(name="Ateliers du Pont Neuf")
    member = MembershipFactory(structure=structure, user__active=False)
    url = reverse("admin:structures_structure_change", args=[structure.pk])
    data = change_form_data(admin_client.get(url))
    data.update(
        {"name": "Ateliers du Pont Vieux", "city": "Villeurbanne", "memberships-0-role": "manager"}
    )

    assert admin_client.post(url, data).status_code == 302

    member.refresh_from_db()
    assert member.role == Membership.Role.MANAGER
    event = _admin_actions(admin_user).get()
    assert (event.detail["action"], event.detail["pk"]) == ("change", structure.pk)
    assert sorted(event.detail["fields"]) == ["city", "name"]
    assert event.detail["inlines"] == [
        {
            "action": "change",
            "model": "structures.membership",
            "object": str(member),
            "fields": ["role"],
        }
    ]
    assert "Villeurbanne" not in json.dumps(event.detail)


def test_membership_change_is_audited_about_the_member(admin_client, admin_user):
    """Changing a membership in the admin writes a "change" event about the member."""
    membership = MembershipFactory(user__active=False)
    url = reverse("admin:structures_membership_change", args=[membership.pk])
    data = change_form_data(admin_client.get(url))
    data["status"] = Membership.Status.REFUSED

    assert admin_client.post(url, data).status_code == 302

    event = _admin_actions(admin_user).get()
    assert (event.user, event.detail["action"]) == (membership.user, "change")
    assert event.detail["fields"] == ["status"]


def test_structure_add_is_audited(admin_client, admin_user):
    """Adding a structure in the admin writes an "add" event naming the fields filled in."""
    response = admin_client.post(
        reverse("admin:structures_structure_add"),
        {
            "siret": KNOWN_SIRET,
            "name": "Ateliers du Pont Neuf",
            "country": "FR",
            "verification": "pending",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    event = _admin_actions(admin_user).get()
    assert (event.detail["action"], event.detail["pk"]) == ("add", Structure.objects.get().pk)
    assert {"siret", "name"} <= set(event.detail["fields"])
