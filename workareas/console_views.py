"""The manager's console: a structure's members and their rights per work area, invitations,
several join requests at once, the export and the managers' history.

Reached from "Manager activities". A person who does not manage the structure gets the same
404 as for a structure that does not exist; so does any member id outside that structure.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from common import throttle
from structures import members
from structures.models import Membership
from structures.services import NotAllowed
from workareas import rights
from workareas.console_forms import CopyForm, InviteForm, JoinRequestsForm, RightsForm
from workareas.models import catalogue

INVITATIONS_PER_MANAGER = ["30/h", "200/d"]


def _structure(request, pk):
    try:
        return members.managed_structure(by=request.user, structure_id=pk)
    except NotAllowed:
        raise Http404 from None


def _member(request, structure, member_id):
    try:
        return members.member_get(structure=structure, by=request.user, membership_id=member_id)
    except Membership.DoesNotExist:
        raise Http404 from None


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10**6))
    except ValueError:
        return 1


@never_cache
@login_required
def member_list(request, pk):
    """The members' table: search, filters by status and area, sort, 50 a page."""
    structure = _structure(request, pk)
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    status = request.GET.get("status", "")
    area = request.GET.get("area", "")
    sort = request.GET.get("sort", "name")
    found = members.members_search(
        structure=structure, by=request.user, query=query, status=status, sort=sort
    )
    areas = [a for a in catalogue() if not a.always_on]
    if area in {a.code for a in areas}:
        found = found.filter(area_assignments__area__code=area)
    page = Paginator(rights.with_areas(found), members.PAGE_SIZE).get_page(_page_number(request))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "workareas/console/members.html",
        {
            "structure": structure,
            "page": page,
            "query": query,
            "status": status,
            "area": area,
            "sort": sort,
            "areas": areas,
            "statuses": [(s.value, s.label) for s in members.MEMBER_STATUSES],
            "filters": filters.urlencode(),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def member_detail(request, pk, member_id):
    """One member: their rights per area, copying them, and the actions on their access."""
    structure = _structure(request, pk)
    member = _member(request, structure, member_id)
    areas = rights.editable_areas(structure, member)
    form = RightsForm(
        request.POST if request.method == "POST" else None,
        areas=areas,
        initial_modes=rights.member_modes(member),
    )
    if request.method == "POST" and form.is_valid():
        changes = rights.member_rights_set(
            structure=structure, by=request.user, membership_id=member.pk, modes=form.modes()
        )
        if changes:
            messages.success(
                request,
                _("The rights of %(name)s have been updated; they have been told by e-mail.")
                % {"name": member.user.get_full_name()},
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("workareas:member", pk=structure.pk, member_id=member.pk)
    # The members to copy to, found by name or e-mail: a page of them, however large the
    # structure.
    find = request.GET.get("find", "")[:100].replace("\x00", "")
    others = members.members_search(structure=structure, by=request.user, query=find).exclude(
        pk=member.pk
    )
    return render(
        request,
        "workareas/console/member.html",
        {
            "structure": structure,
            "member": member,
            "form": form,
            "copy_form": CopyForm(members=others[: members.PAGE_SIZE]),
            "find": find,
            "more_to_find": others.count() > members.PAGE_SIZE,
            "is_self": member.user_id == request.user.pk,
        },
    )


@login_required
@require_POST
def member_copy(request, pk, member_id):
    structure = _structure(request, pk)
    member = _member(request, structure, member_id)
    form = CopyForm(request.POST, members=[])
    if not form.is_valid():
        messages.error(request, _("Choose at least one member."))
        return redirect("workareas:member", pk=structure.pk, member_id=member.pk)
    try:
        changed = rights.member_rights_copy(
            structure=structure,
            by=request.user,
            source_id=member.pk,
            target_ids=form.cleaned_data["targets"],
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    messages.success(
        request,
        _("Rights copied: %(count)s member(s) changed.") % {"count": changed},
    )
    return redirect("workareas:member", pk=structure.pk, member_id=member.pk)


ACTIONS = {
    "detach": (
        members.member_detach,
        gettext_lazy("%(name)s no longer belongs to the structure."),
    ),
    "deactivate": (
        members.member_deactivate,
        gettext_lazy("The access of %(name)s is deactivated."),
    ),
    "reactivate": (
        members.member_reactivate,
        gettext_lazy("The access of %(name)s is active again."),
    ),
    "resend": (
        members.member_activation_resend,
        gettext_lazy("A new e-mail goes to %(name)s."),
    ),
}


@login_required
@require_POST
def member_action(request, pk, member_id):
    """Detach, deactivate, reactivate, or resend the activation mail."""
    structure = _structure(request, pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        messages.error(request, _("Choose an action."))
        return redirect("workareas:members", pk=structure.pk)
    service, done = ACTIONS[action]
    try:
        member = members.members_of(structure).select_related("user").filter(pk=member_id).first()
        changed = service(structure=structure, by=request.user, membership_id=member_id)
    except Membership.DoesNotExist:
        raise Http404 from None
    except NotAllowed:
        messages.error(
            request,
            _(
                "This cannot be done to this member: the primary manager hands the role on "
                "first, nobody does it to themselves, and only a member who has not activated "
                "their account gets a new activation e-mail."
            ),
        )
        return redirect("workareas:members", pk=structure.pk)
    if changed:
        messages.success(request, str(done) % {"name": member.user.get_full_name()})
    else:
        messages.info(request, _("This was already done."))
    if action == "detach" or member is None:
        return redirect("workareas:members", pk=structure.pk)
    return redirect("workareas:member", pk=structure.pk, member_id=member_id)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request, pk):
    """Invite a person: their account, their areas and modes, and the activation mail."""
    structure = _structure(request, pk)
    areas = rights.editable_areas(structure)
    form = InviteForm(request.POST if request.method == "POST" else None, areas=areas)
    if request.method == "POST" and form.is_valid():
        if throttle.exceeded(
            request,
            group="invite",
            rates=INVITATIONS_PER_MANAGER,
            key=f"user:{request.user.pk}",
        ):
            return render(request, "429.html", status=429)
        try:
            membership = rights.member_invite(
                structure=structure,
                by=request.user,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                modes=form.modes(),
                language=get_language(),
            )
        except rights.InvitationRefused as refused:
            form.add_error("email", str(refused))
        else:
            messages.success(
                request,
                _("%(email)s is invited: the invitation e-mail carries the activation link.")
                % {"email": membership.user.email},
            )
            return redirect("workareas:members", pk=structure.pk)
    return render(request, "workareas/console/invite.html", {"structure": structure, "form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def join_requests(request, pk):
    """The pending join requests, decided several at once with one reason and chosen areas."""
    structure = _structure(request, pk)
    pending = list(rights.join_requests(structure=structure, by=request.user))
    areas = rights.editable_areas(structure)
    form = JoinRequestsForm(
        request.POST if request.method == "POST" else None, areas=areas, pending=pending
    )
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["action"] == "approve"
        try:
            decided, skipped = rights.join_requests_decide(
                structure=structure,
                by=request.user,
                membership_ids=form.cleaned_data["requests"],
                approve=approve,
                reason=form.cleaned_data["reason"],
                modes=form.modes(),
            )
        except Membership.DoesNotExist:
            raise Http404 from None
        if approve:
            text = _("%(count)s request(s) approved.") % {"count": decided}
        else:
            text = _("%(count)s request(s) refused.") % {"count": decided}
        messages.success(request, text)
        if skipped:
            messages.info(
                request,
                _("%(count)s request(s) had already been decided.") % {"count": skipped},
            )
        return redirect("workareas:join_requests", pk=structure.pk)
    return render(
        request,
        "workareas/console/join_requests.html",
        {"structure": structure, "pending": pending, "form": form},
    )


@never_cache
@login_required
def members_export(request, pk):
    structure = _structure(request, pk)
    export = rights.members_export(structure=structure, by=request.user)
    response = HttpResponse(export.content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@never_cache
@login_required
def history(request, pk):
    structure = _structure(request, pk)
    events = members.history(structure=structure, by=request.user)
    page = Paginator(events, members.PAGE_SIZE).get_page(_page_number(request))
    for event in page.object_list:
        event.details = rights.history_details(event)
    return render(request, "workareas/console/history.html", {"structure": structure, "page": page})


@login_required
@require_POST
def invitation_answer(request, member_id):
    """The invited person, logged in, accepts or declines an invitation to a structure."""
    accept = request.POST.get("answer") == "accept"
    membership = members.invitation_answer(
        user=request.user, membership_id=member_id, accept=accept
    )
    if membership is None:
        messages.info(request, _("This invitation has already been answered."))
    elif accept:
        messages.success(
            request,
            _("You now belong to %(name)s.") % {"name": membership.structure.name},
        )
    else:
        messages.success(request, _("The invitation has been declined."))
    return redirect("workareas:dashboard")
