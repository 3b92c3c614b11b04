"""The admin of the work-area catalogue and of the members' areas."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.admin_support import listed, log_in
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from workareas.models import AreaAssignment, WorkArea

pytestmark = pytest.mark.django_db

AREAS = reverse("admin:workareas_workarea_changelist")
ASSIGNMENTS = reverse("admin:workareas_areaassignment_changelist")


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:workareas_workarea_changelist",
        "admin:workareas_workarea_add",
        "admin:workareas_workarea_change",
        "admin:workareas_areaassignment_changelist",
        "admin:workareas_areaassignment_add",
        "admin:workareas_areaassignment_change",
    ],
)
def test_admin_pages_open_for_a_superuser(admin_client, url_name):
    """Each changelist, add and change page of the work-areas admin opens for a superuser."""
    area = WorkArea.objects.first()
    membership = MembershipFactory(user__active=False, areas=[area.code])
    objects = {"workarea": area, "areaassignment": membership.area_assignments.get()}
    model = url_name.split("_")[1]
    args = [objects[model].pk] if url_name.endswith("_change") else []
    assert admin_client.get(reverse(url_name, args=args)).status_code == 200


@pytest.mark.parametrize("url", [AREAS, ASSIGNMENTS])
def test_staff_without_permission_is_refused(client, url):
    """A staff member with no permission on a model cannot open its changelist."""
    staff = UserFactory(active=True, is_staff=True)
    log_in(client, staff.email, PASSWORD)
    assert client.get(url).status_code == 403


def test_catalogue_order_and_defaults_are_editable_in_the_list(admin_client):
    """The order, "on by default" and "available" are edited straight from the catalogue list."""
    area = WorkArea.objects.filter(is_available=True, on_by_default=False).first()
    response = admin_client.post(
        AREAS,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(area.pk),
            "form-0-order": "7",
            "form-0-on_by_default": "on",
            # "is_available" left out: the checkbox is unticked.
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    area.refresh_from_db()
    assert (area.order, area.on_by_default, area.is_available) == (7, True, False)


def test_catalogue_search_by_code_and_names(admin_client):
    """The catalogue is searched by code and by English or French name."""
    area = WorkArea.objects.create(
        code="test-area",
        name_en="Quarterly widgets",
        name_fr="Gadgets trimestriels",
        description_en="d",
        description_fr="d",
    )
    assert listed(admin_client.get(AREAS, {"q": "test-area"})) == {area.pk}
    assert listed(admin_client.get(AREAS, {"q": "quarterly"})) == {area.pk}
    assert listed(admin_client.get(AREAS, {"q": "trimestriels"})) == {area.pk}


def test_assignments_search_by_user_and_filter_by_area(admin_client):
    """Members' areas are searched by the member's e-mail and filtered by area."""
    first, second = WorkArea.objects.all()[:2]
    anna = MembershipFactory(user__email="anna@acme.fr", user__active=False, areas=[first.code])
    bruno = MembershipFactory(user__active=False, areas=[first.code, second.code])
    anna_area = anna.area_assignments.get()
    bruno_second = bruno.area_assignments.get(area=second)
    assert listed(admin_client.get(ASSIGNMENTS, {"q": "anna@acme"})) == {anna_area.pk}
    assert listed(admin_client.get(ASSIGNMENTS, {"area__id__exact": second.pk})) == {
        bruno_second.pk
    }


def test_assignment_changelist_query_count(admin_client, django_assert_max_num_queries):
    """A page of 50 members' areas costs a fixed number of queries, not one per row."""
    area = WorkArea.objects.first()
    MembershipFactory.create_batch(50, user__active=False, areas=[area.code])
    with django_assert_max_num_queries(8):
        response = admin_client.get(ASSIGNMENTS)
    assert len(response.context["cl"].result_list) == AreaAssignment.objects.count() == 50


def test_catalogue_list_edit_is_audited_per_row_changed(admin_client, admin_user):
    """Editing the catalogue from its list writes one "change" event per row changed, naming
    the fields changed, and none for a row left as it was."""
    changed, unchanged = WorkArea.objects.filter(is_available=True, on_by_default=False)[:2]
    rows = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(changed.pk),
        "form-0-order": "7",
        "form-0-on_by_default": "on",
        "form-0-is_available": "on",
        "form-1-id": str(unchanged.pk),
        "form-1-order": str(unchanged.order),
        "form-1-is_available": "on",
        "_save": "Save",
    }

    assert admin_client.post(AREAS, rows).status_code == 302

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)
    assert (event.detail["action"], event.detail["model"], event.detail["pk"]) == (
        "change",
        "workareas.workarea",
        changed.pk,
    )
    assert sorted(event.detail["fields"]) == ["on_by_default", "order"]


def test_assignment_add_is_audited_about_the_member(admin_client, admin_user):
    """Giving a member an area in the admin writes an "add" event."""
    area = WorkArea.objects.first()
    membership = MembershipFactory(user__active=False, areas=[])
    response = admin_client.post(
        reverse("admin:workareas_areaassignment_add"),
        {"membership": membership.pk, "area": area.pk, "mode": "modification"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ADMIN_ACTION, actor=admin_user)
    assert (event.detail["action"], event.detail["model"]) == ("add", "workareas.areaassignment")
    assert sorted(event.detail["fields"]) == ["area", "membership"]
