"""The dashboard: the user's structures and role, and a tab per open work area."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from structures.models import Membership
from workareas.models import WorkArea

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
    return {
        "memberships": memberships,
        "areas": _open_areas(user),
        "managed": managed,
        "pending_for_me": pending_for_me,
        "has_active": any(m.status == Membership.Status.ACTIVE for m in memberships),
    }


@login_required
def dashboard(request):
    context = _context(request.user)
    context["sent_requests"] = [m for m in context["memberships"] if m.requested_at is not None]
    return render(request, "accounts/dashboard.html", context)


@login_required
def area(request, code):
    context = _context(request.user)
    current = next((a for a in context["areas"] if a.code == code), None)
    if current is None:
        raise Http404
    context["current"] = current
    if code == SENT_REQUESTS:
        context["sent_requests"] = [m for m in context["memberships"] if m.requested_at]
    return render(request, "accounts/area.html", context)
