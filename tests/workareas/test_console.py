"""The manager's console pages and its work-area services: rights per area in Consultation or
Modification, copy, invitation, several join requests at once, export, history, and the
read-only areas in a member's dashboard."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from structures import members
from structures.models import Membership
from structures.services import NotAllowed
from tests.factories import MembershipFactory, UserFactory
from tests.mail import deliver, last_link
from workareas import rights
from workareas.models import AreaAssignment

pytestmark = pytest.mark.django_db

AREAS = ["issued-invoices", "commitments", "sent-requests"]


@pytest.fixture
def boss(db):
    """A primary manager whose structure has opened two areas."""
    return MembershipFactory(primary_manager=True, areas=AREAS)


@pytest.fixture
def colleague(boss):
    return MembershipFactory(structure=boss.structure, areas=["issued-invoices", "sent-requests"])


def _modes(membership):
    return dict(membership.area_assignments.values_list("area__code", "mode"))


def _invite(boss, email, modes=None):
    return rights.member_invite(
        structure=boss.structure,
        by=boss.user,
        email=email,
        first_name="X",
        last_name="Y",
        modes=modes or {},
        language="en",
    )


def _url(boss, tail=""):
    return f"/structures/{boss.structure_id}/{tail}"


def test_rights_per_area_set_audited_and_mailed_in_the_members_language(boss, colleague):
    """Consultation and Modification are set per area; the member is told in French."""
    colleague.user.preferred_language = "fr"
    colleague.user.save()
    changes = rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"issued-invoices": "consultation", "commitments": "modification"},
    )
    assert changes == {
        "issued-invoices": ["modification", "consultation"],
        "commitments": ["", "modification"],
    }
    assert _modes(colleague) == {
        "issued-invoices": "consultation",
        "commitments": "modification",
        "sent-requests": "modification",
    }
    [message] = deliver(kind="rights_changed")
    assert "Factures émises : Consultation" in message.body
    assert message.subject.startswith("Vos espaces dans")
    again = rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"issued-invoices": "consultation", "commitments": "modification"},
    )
    assert again == {}
    assert AuditEvent.objects.filter(kind="member_rights_change").count() == 1
    assert OutgoingEmail.objects.filter(kind="rights_changed").count() == 1


def test_rights_refused_to_a_plain_member(boss, colleague):
    """A user of the structure cannot change rights, even their own."""
    with pytest.raises(NotAllowed):
        rights.member_rights_set(
            structure=boss.structure,
            by=colleague.user,
            membership_id=colleague.pk,
            modes={"commitments": "modification"},
        )
    assert "commitments" not in _modes(colleague)


def test_an_area_the_structure_has_not_opened_cannot_be_given(boss, colleague):
    """Only the areas opened by the structure are offered and applied."""
    rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"work-invoices": "modification", "issued-invoices": "modification"},
    )
    assert "work-invoices" not in _modes(colleague)


def test_copy_rights_to_other_members(boss, colleague):
    """The targets get exactly the source's areas and modes."""
    other = MembershipFactory(structure=boss.structure, areas=["commitments", "sent-requests"])
    rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"issued-invoices": "consultation"},
    )
    changed = rights.member_rights_copy(
        structure=boss.structure, by=boss.user, source_id=colleague.pk, target_ids=[other.pk]
    )
    assert changed == 1
    assert _modes(other) == _modes(colleague)


def test_copy_to_another_structures_member_is_404(client, boss, colleague):
    """A target id of another structure is not found in the manager's structure."""
    stranger = MembershipFactory(areas=["sent-requests"])
    client.force_login(boss.user)
    response = client.post(_url(boss, f"members/{colleague.pk}/copy/"), {"targets": [stranger.pk]})
    assert response.status_code == 404
    assert _modes(stranger) == {"sent-requests": "modification"}


def test_pages_are_404_for_who_does_not_manage_the_structure(client, boss, colleague):
    """A plain member and another structure's manager see no console and no member page."""
    stranger_boss = MembershipFactory(primary_manager=True)
    for person in (colleague.user, stranger_boss.user):
        client.force_login(person)
        for tail in (
            "members/",
            "members/export/",
            "history/",
            "join-requests/",
            "members/invite/",
        ):
            assert client.get(_url(boss, tail)).status_code == 404, tail
        assert client.get(_url(boss, f"members/{colleague.pk}/")).status_code == 404
    client.force_login(boss.user)
    stranger = MembershipFactory(structure=stranger_boss.structure)
    assert client.get(_url(boss, f"members/{stranger.pk}/")).status_code == 404
    response = client.post(_url(boss, f"members/{stranger.pk}/action/"), {"action": "detach"})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=stranger.pk).exists()


def test_member_page_sets_rights_and_actions_without_javascript(client, boss, colleague):
    """Plain form posts set the rights and deactivate; a second post is answered kindly."""
    client.force_login(boss.user)
    page = client.get(_url(boss, f"members/{colleague.pk}/")).content.decode()
    assert "Consultation" in page and "Modification" in page
    response = client.post(
        _url(boss, f"members/{colleague.pk}/"),
        {"area-issued-invoices": "consultation", "area-commitments": ""},
    )
    assert response.status_code == 302
    assert _modes(colleague)["issued-invoices"] == "consultation"
    for _ in range(2):
        response = client.post(
            _url(boss, f"members/{colleague.pk}/action/"), {"action": "deactivate"}, follow=True
        )
        assert response.status_code == 200
    assert "already done" in response.content.decode()
    colleague.refresh_from_db()
    assert colleague.status == "deactivated"


def test_members_table_searches_filters_and_pages_in_few_queries(client, boss):
    """At 2,000 members a page shows 50 rows and costs the same few queries."""
    users = User.objects.bulk_create(
        [
            User(email=f"m{i}@example.org", first_name="Jean", last_name=f"Dupont{i:04d}")
            for i in range(2000)
        ]
    )
    memberships = Membership.objects.bulk_create(
        [Membership(user=u, structure=boss.structure, status="active") for u in users]
    )
    area = rights.editable_areas(boss.structure)[0]
    AreaAssignment.objects.bulk_create(
        [AreaAssignment(membership=m, area=area, mode="consultation") for m in memberships[::2]]
    )
    client.force_login(boss.user)
    client.get(_url(boss, "members/"))  # session and caches warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(boss, "members/") + "?page=3&sort=name")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<tr>") == 51  # header + 50 rows
    assert "Page 3 of 41" in page
    assert len(queries) <= 12, [q["sql"] for q in queries]
    found = client.get(_url(boss, "members/") + "?q=dupont1999").content.decode()
    assert "m1999@example.org" in found and "m1998@example.org" not in found
    filtered = client.get(_url(boss, "members/") + f"?area={area.code}").content.decode()
    assert "1001 members" in filtered  # half of them, and the boss


def test_export_is_csv_with_bom_and_recorded(client, boss, colleague):
    """The export opens with a BOM, keeps accents and neutralises formulas."""
    colleague.user.last_name = "=Hélène"
    colleague.user.save()
    client.force_login(boss.user)
    response = client.get(_url(boss, "members/export/"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Last name" and len(rows) == 3
    assert "'=Hélène" in [row[0] for row in rows]
    assert AuditEvent.objects.filter(kind="members_exported", actor=boss.user).exists()


def test_history_page_lists_the_actions(client, boss, colleague):
    """The history page shows what managers did here."""
    client.force_login(boss.user)
    client.post(_url(boss, f"members/{colleague.pk}/action/"), {"action": "deactivate"})
    page = client.get(_url(boss, "history/")).content.decode()
    assert "Member deactivated" in page and colleague.user.email in page


def test_several_join_requests_approved_with_the_chosen_areas(client, boss):
    """Approval gives the areas the manager picks, not those ticked at registration; a second
    post skips what is decided."""
    asking = [
        MembershipFactory(structure=boss.structure, requested=True, areas=["issued-invoices"])
        for _ in range(2)
    ]
    client.force_login(boss.user)
    data = {
        "requests": [m.pk for m in asking],
        "area-commitments": "consultation",
        "area-issued-invoices": "",
        "action": "approve",
    }
    response = client.post(_url(boss, "join-requests/"), data, follow=True)
    assert "2 request(s) approved." in response.content.decode()
    for m in asking:
        m.refresh_from_db()
        assert m.status == "active"
        assert _modes(m) == {"commitments": "consultation"}
    response = client.post(_url(boss, "join-requests/"), data, follow=True)
    assert "2 request(s) had already been decided." in response.content.decode()
    assert AuditEvent.objects.filter(kind="join_approved").count() == 2


def test_several_join_requests_refused_with_one_reason(client, boss):
    """One reason goes to every refused requester; another structure's request is 404."""
    asking = [MembershipFactory(structure=boss.structure, requested=True) for _ in range(2)]
    stranger = MembershipFactory(requested=True)
    client.force_login(boss.user)
    response = client.post(
        _url(boss, "join-requests/"),
        {"requests": [asking[0].pk, stranger.pk], "action": "refuse", "reason": "Inconnu"},
    )
    assert response.status_code == 404
    client.post(
        _url(boss, "join-requests/"),
        {"requests": [m.pk for m in asking], "action": "refuse", "reason": "Inconnu"},
    )
    for m in asking:
        m.refresh_from_db()
        assert (m.status, m.decision_reason) == ("refused", "Inconnu")
    stranger.refresh_from_db()
    assert stranger.status == "requested"


def test_invite_creates_the_account_and_activation_joins_without_request(client, boss):
    """The invitee activates through the usual page and is an active user at once, with the
    areas chosen; inviting twice sends one mail."""
    client.force_login(boss.user)
    data = {
        "email": "nouvelle@example.org",
        "first_name": "Inès",
        "last_name": "Moreau",
        "area-issued-invoices": "consultation",
        "area-commitments": "modification",
    }
    assert client.post(_url(boss, "members/invite/"), data).status_code == 302
    assert client.post(_url(boss, "members/invite/"), data).status_code == 302
    assert OutgoingEmail.objects.filter(kind="invitation").count() == 1
    membership = Membership.objects.get(user__email="nouvelle@example.org")
    assert membership.status == "awaiting_activation" and membership.invited_by == boss.user
    link = last_link("nouvelle@example.org", "/activate/")
    assert boss.structure.name in mail.outbox[-1].body
    invitee = client.__class__()
    invitee.get(link)
    response = invitee.post(
        "/activate/",
        {
            "password": "Factur3s-Publiques!",
            "confirmation": "Factur3s-Publiques!",
            "secret_question": "pet",
            "custom_question": "",
            "answer": "Médor le chien",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.status == "active"
    assert _modes(membership) == {
        "issued-invoices": "consultation",
        "commitments": "modification",
        "sent-requests": "modification",
    }
    assert AuditEvent.objects.filter(kind="member_invited", actor=boss.user).count() == 1


def test_an_existing_account_joins_only_once_it_accepts(client, boss):
    """A person with an active account is mailed, joins when they accept from their
    dashboard, and answering twice changes nothing; nobody else can answer for them."""
    person = UserFactory(active=True, email="deja@example.org")
    membership = _invite(boss, "Deja@example.org", {"commitments": "consultation"})
    assert (membership.user, membership.status) == (person, "invited")
    assert OutgoingEmail.objects.filter(kind="invitation_to_accept", user=person).count() == 1
    assert not OutgoingEmail.objects.filter(kind="invitation").exists()
    client.force_login(boss.user)
    url = f"/structures/invitations/{membership.pk}/"
    client.post(url, {"answer": "accept"})
    membership.refresh_from_db()
    assert membership.status == "invited"
    client.force_login(person)
    assert "Accept the invitation" in client.get("/dashboard/").content.decode()
    client.post(url, {"answer": "accept"})
    response = client.post(url, {"answer": "accept"}, follow=True)
    assert "already been answered" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == "active"
    assert client.get("/dashboard/areas/commitments/").status_code == 200
    assert AuditEvent.objects.filter(kind="invitation_accepted", user=person).count() == 1


def test_an_invitation_declined_is_gone(client, boss):
    """Declining deletes the invitation and records it in the structure's history."""
    person = UserFactory(active=True)
    membership = _invite(boss, person.email)
    client.force_login(person)
    client.post(f"/structures/invitations/{membership.pk}/", {"answer": "decline"})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    client.force_login(boss.user)
    assert "Invitation declined" in client.get(_url(boss, "history/")).content.decode()


def test_invite_refuses_an_existing_member_and_a_plain_user(client, boss, colleague):
    """A member cannot be invited again, and a plain user cannot invite."""
    client.force_login(boss.user)
    page = client.post(
        _url(boss, "members/invite/"),
        {"email": colleague.user.email, "first_name": "A", "last_name": "B"},
    ).content.decode()
    assert "already belongs to the structure" in page
    with pytest.raises(NotAllowed):
        rights.member_invite(
            structure=boss.structure,
            by=colleague.user,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            modes={},
            language="en",
        )
    assert not User.objects.filter(email="x@example.org").exists()


def test_consultation_areas_are_read_only_in_the_dashboard(client, boss, colleague):
    """The member sees the area marked Consultation and cannot switch it to Modification."""
    rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"issued-invoices": "consultation"},
    )
    client.force_login(colleague.user)
    page = client.get("/dashboard/areas/issued-invoices/").content.decode()
    assert 'id="read-only"' in page
    client.post("/account/work-areas/", {"areas": ["sent-requests"]})
    assert _modes(colleague)["issued-invoices"] == "consultation"
    client.force_login(boss.user)
    page = client.get("/dashboard/areas/issued-invoices/").content.decode()
    assert 'id="read-only"' not in page


def test_a_deactivated_member_loses_the_areas_and_gets_them_back(client, boss, colleague):
    """Deactivation closes the member's areas; reactivation opens them again."""
    client.force_login(boss.user)
    client.post(_url(boss, f"members/{colleague.pk}/action/"), {"action": "deactivate"})
    client.force_login(colleague.user)
    assert client.get("/dashboard/areas/issued-invoices/").status_code == 404
    client.force_login(boss.user)
    client.post(_url(boss, f"members/{colleague.pk}/action/"), {"action": "reactivate"})
    client.force_login(colleague.user)
    assert client.get("/dashboard/areas/issued-invoices/").status_code == 200


def test_resend_and_detach_from_the_member_page(client, boss):
    """An invited person gets a new mail; detaching twice is harmless."""
    invited = MembershipFactory(
        structure=boss.structure,
        user=UserFactory(),
        status="awaiting_activation",
        invited_by=boss.user,
    )
    client.force_login(boss.user)
    client.post(_url(boss, f"members/{invited.pk}/action/"), {"action": "resend"})
    assert OutgoingEmail.objects.filter(user=invited.user, kind="invitation").count() == 1
    for _ in range(2):
        response = client.post(
            _url(boss, f"members/{invited.pk}/action/"), {"action": "detach"}, follow=True
        )
        assert response.status_code == 200
    assert not Membership.objects.filter(pk=invited.pk).exists()


def test_invitations_are_throttled_per_manager(client, boss):
    """A manager cannot make the portal mail strangers without end: the 31st invitation in an
    hour is refused and sends nothing."""
    client.force_login(boss.user)
    for i in range(31):
        response = client.post(
            _url(boss, "members/invite/"),
            {"email": f"p{i}@example.org", "first_name": "P", "last_name": f"N{i}"},
        )
    assert response.status_code == 429
    assert OutgoingEmail.objects.filter(kind="invitation").count() == 30
    assert not User.objects.filter(email="p30@example.org").exists()


def test_copy_targets_are_found_by_search(client, boss, colleague):
    """The member page lists the members to copy to by name or e-mail, the member excluded."""
    other = MembershipFactory(structure=boss.structure, user__last_name="Zola")
    client.force_login(boss.user)
    page = client.get(_url(boss, f"members/{colleague.pk}/") + "?find=zola").content.decode()
    assert f'value="{other.pk}"' in page and f'value="{boss.pk}"' not in page


def test_console_pages_in_french(client, boss, colleague):
    """The console speaks French to a French-speaking manager."""
    client.force_login(boss.user)
    client.cookies["django_language"] = "fr"
    page = client.get(_url(boss, "members/")).content.decode()
    assert "Membres de" in page and "Exporter les membres (CSV)" in page
    page = client.get(_url(boss, f"members/{colleague.pk}/")).content.decode()
    assert "Droits par espace" in page and "Consultation" in page


def test_history_is_paginated_newest_first(client, boss, colleague):
    """Fifty events a page, the newest on the first."""
    for _ in range(26):
        for action in ("deactivate", "reactivate"):
            client.force_login(boss.user)
            client.post(_url(boss, f"members/{colleague.pk}/action/"), {"action": action})
    first = client.get(_url(boss, "history/")).content.decode()
    assert "Page 1 of 2" in first and first.count("<tr>") == 51
    assert first.index("Member reactivated") < first.index("Member deactivated")


def test_bulk_decisions_refused_to_a_plain_member(boss, colleague):
    """The service refuses a person who does not manage the structure."""
    asking = MembershipFactory(structure=boss.structure, requested=True)
    with pytest.raises(NotAllowed):
        rights.join_requests_decide(
            structure=boss.structure, by=colleague.user, membership_ids=[asking.pk], approve=True
        )
    asking.refresh_from_db()
    assert asking.status == "requested"


def test_an_invitation_to_an_existing_account_can_be_sent_again(boss):
    """Not twice in a minute (a double submit), then once more on request."""
    person = UserFactory(active=True)
    membership = _invite(boss, person.email)
    args = {"structure": boss.structure, "by": boss.user, "membership_id": membership.pk}
    assert members.member_activation_resend(**args) is False
    OutgoingEmail.objects.filter(user=person).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    assert members.member_activation_resend(**args) is True
    assert OutgoingEmail.objects.filter(user=person, kind="invitation_to_accept").count() == 2


def test_bulk_form_without_a_ticked_request_says_so(client, boss):
    """Nothing ticked: the error is shown and links to the list of requests."""
    MembershipFactory(structure=boss.structure, requested=True)
    client.force_login(boss.user)
    page = client.post(_url(boss, "join-requests/"), {"action": "approve"}).content.decode()
    assert "Tick at least one request." in page
    assert 'href="#id_requests"' in page and 'id="id_requests"' in page


def test_history_says_what_changed(client, boss, colleague):
    """A rights change is shown with each area's mode before and after."""
    rights.member_rights_set(
        structure=boss.structure,
        by=boss.user,
        membership_id=colleague.pk,
        modes={"issued-invoices": "consultation", "commitments": "modification"},
    )
    client.force_login(boss.user)
    page = client.get(_url(boss, "history/")).content.decode()
    assert "Commitments: none → Modification; Issued invoices: Modification → Consultation" in page


def test_resends_to_one_address_stop_at_five_a_day(client, boss):
    """A manager cannot mail someone without end by resending: after 5 mails in 24 hours to
    that address, a resend sends nothing, however far apart."""
    from datetime import timedelta

    from django.utils import timezone

    from structures import members

    invited = MembershipFactory(
        structure=boss.structure,
        user=UserFactory(),
        status="awaiting_activation",
        invited_by=boss.user,
    )
    for _ in range(7):
        members.member_activation_resend(
            structure=boss.structure, by=boss.user, membership_id=invited.pk
        )
        # Past the one-minute debounce, as a patient sender would be.
        OutgoingEmail.objects.filter(user=invited.user).update(
            created_at=timezone.now() - timedelta(minutes=2)
        )
    assert OutgoingEmail.objects.filter(user=invited.user).count() == members.RESENDS_PER_DAY


def test_a_nul_byte_in_the_search_is_no_error(client, boss):
    """Odd input in the members' search answers the page, never a server error."""
    client.force_login(boss.user)
    assert client.get(_url(boss, "members/?q=%00dupont")).status_code == 200


def test_history_and_export_of_a_structure_without_siret(client):
    """A structure registered with another identifier (here a VAT number) has its history and
    an export named after its identifier."""
    from structures.models import Structure

    boss = MembershipFactory(
        primary_manager=True,
        areas=AREAS,
        structure__identifier_type="UE_HORS_FRANCE",
        structure__identifier="BE0403170701",
        structure__siret=None,
        structure__siren=None,
        structure__country="BE",
    )
    assert Structure.objects.get(pk=boss.structure_id).siret is None
    colleague = MembershipFactory(structure=boss.structure)
    client.force_login(boss.user)
    client.post(_url(boss, f"members/{colleague.pk}/action/"), {"action": "deactivate"})
    page = client.get(_url(boss, "history/")).content.decode()
    assert "Member deactivated" in page and colleague.user.email in page
    export = client.get(_url(boss, "members/export/"))
    assert "members-BE0403170701-" in export["Content-Disposition"]
