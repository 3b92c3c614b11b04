"""The structure, for its members and managers; join requests under "Manager activities"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import OneTimeToken
from accounts.views.links import link_forget, link_secret
from common import throttle
from structures import domains, services
from structures.forms import DomainForm, RefuseForm, SiretForm, StructureForm, TransferForm
from structures.models import Membership, Structure


def _membership_or_403(user, structure_id) -> Membership:
    membership = (
        Membership.objects.active()
        .select_related("structure")
        .filter(user=user, structure_id=structure_id)
        .first()
    )
    if membership is None:
        raise PermissionDenied
    return membership


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def detail(request, pk):
    membership = _membership_or_403(request.user, pk)
    structure = membership.structure
    is_primary = membership.role == Membership.Role.PRIMARY_MANAGER
    members = list(
        Membership.objects.filter(structure=structure)
        .select_related("user")
        .order_by("role", "user__last_name")
    )
    transferable = [
        m
        for m in members
        if m.status == Membership.Status.ACTIVE and m.pk != membership.pk and m.user.is_active
    ]
    form = StructureForm(
        initial=StructureForm.initial_from(structure), identifier_type=structure.identifier_type
    )
    transfer_form = TransferForm(user=request.user, members=transferable)
    siret_form = SiretForm()
    domain_form = DomainForm()
    if request.method == "POST":
        if not is_primary:
            raise PermissionDenied
        if "domain_address" in request.POST:
            domain_form = DomainForm(request.POST)
            if domain_form.is_valid() and throttle.mail_to_address_exceeded(
                request,
                group="domain-proof",
                address=domain_form.cleaned_data["domain_address"],
                per_ip=throttle.RESEND_PER_IP,
            ):
                domain_form.add_error(
                    "domain_address",
                    _("Too many links asked for just now: try again in a few minutes."),
                )
            if domain_form.is_valid():
                try:
                    domains.domain_proof_request(
                        structure=structure,
                        by=request.user,
                        address=domain_form.cleaned_data["domain_address"],
                    )
                except domains.DomainRefused as refused:
                    domain_form.add_error("domain_address", refused.message)
                else:
                    messages.success(
                        request,
                        _(
                            "A link has been sent to this address. Open it within an hour to "
                            "prove the domain."
                        ),
                    )
                    return redirect("structures:detail", pk=structure.pk)
        elif "siret_later" in request.POST:
            siret_form = SiretForm(request.POST)
            if siret_form.is_valid() and throttle.exceeded(
                request,
                group="siret-later",
                rates=settings.STEP1_LOOKUPS_PER_IP,
                key=f"user:{request.user.pk}",
                fail_closed=True,
            ):
                # Each try asks INSEE: the shared quota is not for one person to spend.
                siret_form.add_error(
                    "siret", _("Too many tries in a short time. Please try again in an hour.")
                )
            elif siret_form.is_valid():
                try:
                    services.structure_siret_set(
                        structure=structure,
                        by=request.user,
                        siret=siret_form.cleaned_data["siret"],
                    )
                except services.SiretRefused as refused:
                    siret_form.add_error("siret", refused.message)
                except services.NotAllowed:
                    raise PermissionDenied from None
                else:
                    messages.success(request, _("The structure now has its SIRET."))
                    return redirect("structures:detail", pk=structure.pk)
        elif "transfer" in request.POST:
            transfer_form = TransferForm(
                request.POST, user=request.user, members=transferable, request=request
            )
            if transfer_form.is_valid():
                try:
                    target = services.primary_manager_transfer(
                        structure=structure,
                        by=request.user,
                        to_membership_id=transfer_form.cleaned_data["member"],
                    )
                except services.NotAllowed:
                    transfer_form.add_error(
                        "member", _("This member cannot become primary manager.")
                    )
                else:
                    messages.success(
                        request,
                        _("%(name)s is now the primary manager.")
                        % {"name": target.user.get_full_name()},
                    )
                    return redirect("structures:detail", pk=structure.pk)
        else:
            form = StructureForm(request.POST, identifier_type=structure.identifier_type)
            if form.is_valid():
                services.structure_update(
                    structure=structure, by=request.user, **form.structure_values()
                )
                messages.success(request, _("The structure has been updated."))
                return redirect("structures:detail", pk=structure.pk)
    return render(
        request,
        "structures/detail.html",
        {
            "structure": structure,
            "membership": membership,
            "is_primary": is_primary,
            "members": members if membership.is_manager else [],
            "form": form,
            "transfer_form": transfer_form,
            "siret_form": siret_form,
            "domain_form": domain_form,
            "domains": structure.domains.order_by("domain") if is_primary else [],
            "can_transfer": bool(transferable),
        },
    )


@login_required
def requests(request):
    """Manager activities: the pending join requests of the structures the user manages."""
    managed = Membership.objects.managers().filter(user=request.user).values("structure_id")
    pending = (
        Membership.objects.filter(structure__in=managed, status=Membership.Status.REQUESTED)
        .select_related("user", "structure")
        .order_by("requested_at")
    )
    return render(
        request,
        "structures/requests.html",
        {
            "pending": pending,
            "is_manager": managed.exists(),
            "refuse_form": RefuseForm(),
            "managed_structures": Structure.objects.filter(pk__in=managed).order_by("name"),
        },
    )


@login_required
@require_POST
def decide(request, pk):
    action = request.POST.get("action")
    try:
        if action == "approve":
            membership = services.join_request_approve(membership_id=pk, decided_by=request.user)
            messages.success(
                request,
                _("%(name)s has joined the structure.") % {"name": membership.user.get_full_name()},
            )
        elif action == "refuse":
            form = RefuseForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            membership = services.join_request_refuse(
                membership_id=pk, decided_by=request.user, reason=reason
            )
            messages.success(
                request,
                _("The request of %(name)s has been refused.")
                % {"name": membership.user.get_full_name()},
            )
        else:
            messages.error(request, _("Choose Approve or Refuse."))
    except (services.NotAllowed, Membership.DoesNotExist):
        messages.error(
            request, _("This request cannot be decided: it may have been handled already.")
        )
    return redirect("structures:requests")


@login_required
@require_POST
def request_again(request, pk):
    membership = get_object_or_404(Membership, pk=pk, user=request.user)
    try:
        services.join_request_renew(membership=membership)
    except services.NotAllowed:
        messages.error(request, _("This request is not refused: there is nothing to send again."))
    else:
        messages.success(
            request, _("Your request has been sent again to the structure's managers.")
        )
    return redirect("workareas:area", code="sent-requests")


@never_cache
@require_http_methods(["GET", "POST"])
def domain_confirm(request):
    """The page a domain proof link opens: GET shows the domain, POST proves it."""
    raw = link_secret(request, OneTimeToken.Purpose.DOMAIN_PROOF)
    if request.method == "POST":
        declared = domains.domain_proof_confirm(raw_token=raw)
        link_forget(request, OneTimeToken.Purpose.DOMAIN_PROOF)
        if declared is not None:
            messages.success(
                request,
                _("The domain %(domain)s is proven for %(structure)s.")
                % {"domain": declared.domain, "structure": declared.structure.name},
            )
            return redirect("workareas:dashboard")
        return render(request, "structures/domain_confirm.html", {"domain": None})
    domain = domains.domain_proof_pending(raw_token=raw)
    return render(request, "structures/domain_confirm.html", {"domain": domain})
