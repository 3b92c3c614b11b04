"""The dashboard (the user's structures and role, and a tab per open work area) and
My work areas (the switches of each structure the user belongs to)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from structures.models import Membership
from workareas import services
from workareas.forms import AreasForm
from workareas.models import AreaAssignment, WorkArea, catalogue

SENT_REQUESTS = "sent-requests"


def _open_areas(user) -> list[WorkArea]:
    """Areas of the user's active memberships; "Sent requests" always."""
    areas = WorkArea.objects.available().filter(
        assignments__membership__user=user,
        assignments__membership__status=Membership.Status.ACTIVE,
    )
    always = WorkArea.objects.available().filter(always_on=True)
    return list((areas | always).distinct().order_by("order", "code"))


def _context(user):
    memberships = list(
        Membership.objects.filter(user=user).select_related("structure").order_by("created_at")
    )
    managed = [m for m in memberships if m.is_manager]
    pending_for_me = (
        Membership.objects.filter(
            structure__in=[m.structure for m in managed], status=Membership.Status.REQUESTED
        ).count()
        if managed
        else 0
    )
    areas = _open_areas(user)
    modes = services.area_modes(user)
    for area in areas:
        area.read_only = modes.get(area.code) == AreaAssignment.Mode.CONSULTATION
    return {
        "memberships": memberships,
        "areas": areas,
        "managed": managed,
        "pending_for_me": pending_for_me,
        "has_active": any(m.status == Membership.Status.ACTIVE for m in memberships),
    }


@login_required
def dashboard(request):
    context = _context(request.user)
    context["sent_requests"] = [m for m in context["memberships"] if m.requested_at is not None]
    return render(request, "workareas/dashboard.html", context)


@login_required
def area(request, code):
    context = _context(request.user)
    current = next((a for a in context["areas"] if a.code == code), None)
    if current is None:
        raise Http404
    context["current"] = current
    if code == SENT_REQUESTS:
        context["sent_requests"] = [m for m in context["memberships"] if m.requested_at]
    return render(request, "workareas/area.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def my_areas(request):
    """The same switches as step 3, for one of the user's active memberships."""
    memberships = list(
        Membership.objects.active().filter(user=request.user).select_related("structure")
    )
    if not memberships:
        return render(request, "workareas/work_areas_unavailable.html")
    membership = memberships[0]
    wanted = request.GET.get("structure") or request.POST.get("structure")
    if wanted:
        try:
            structure_id = int(wanted)
        except ValueError:
            structure_id = 0
        if not 0 < structure_id < 2**63:  # beyond a bigint, the database would refuse it
            structure_id = 0
        membership = get_object_or_404(
            Membership.objects.active().select_related("structure"),
            user=request.user,
            structure_id=structure_id,
        )
    if request.method == "POST":
        form = AreasForm(request.POST, catalogue=catalogue())
        if form.is_valid():
            services.member_areas_set(
                membership=membership, codes=form.cleaned_data["areas"], by=request.user
            )
            messages.success(request, _("Your work areas have been updated."))
            return redirect(f"{request.path}?structure={membership.structure_id}")
    rows = services.area_rows(membership)
    return render(
        request,
        "workareas/work_areas.html",
        {"rows": rows, "membership": membership, "memberships": memberships},
    )
