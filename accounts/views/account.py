"""My account: profile, contact e-mail, password, secret question, work areas."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import secret
from accounts.flows import account as flow
from accounts.forms.account import PasswordChangeForm, ProfileForm, SecretQuestionChangeForm
from accounts.forms.registration import AreasForm
from accounts.passwords import meter_rules
from accounts.views.auth import remember_language
from structures.models import Membership
from workareas import services as areas
from workareas.models import catalogue

CONTACT_SESSION_KEY = "contact_email_token"


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "contact_email": user.notification_email,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        sent = flow.profile_update(user=user, **form.cleaned_data)
        translation.activate(user.preferred_language)
        messages.success(request, _("Your account has been updated."))
        if sent:
            messages.info(
                request,
                _(
                    "A confirmation link has been sent to the new contact e-mail. It will be "
                    "used once you open that link."
                ),
            )
        return remember_language(redirect("accounts:account"), user.preferred_language)
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "question": secret.question_text(user.secret_question),
            "memberships": Membership.objects.filter(user=user).select_related("structure"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request):
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        flow.password_change(
            request=request, user=request.user, new_password=form.cleaned_data["password"]
        )
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:account")
    return render(
        request, "accounts/change_password.html", {"form": form, "meter_rules": meter_rules()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_secret_question(request):
    form = SecretQuestionChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        flow.secret_question_change(
            user=request.user, question=form.stored_question, answer=form.cleaned_data["answer"]
        )
        messages.success(request, _("Your secret question has been changed."))
        return redirect("accounts:account")
    return render(request, "accounts/change_secret.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def work_areas(request):
    """The same switches as step 3, for one of the user's active memberships."""
    memberships = list(
        Membership.objects.active().filter(user=request.user).select_related("structure")
    )
    if not memberships:
        return render(request, "accounts/work_areas_unavailable.html")
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
            areas.set_member_areas(
                membership=membership, codes=form.cleaned_data["areas"], by=request.user
            )
            messages.success(request, _("Your work areas have been updated."))
            return redirect(f"{request.path}?structure={membership.structure_id}")
    rows = areas.area_rows(membership)
    return render(
        request,
        "accounts/work_areas.html",
        {"rows": rows, "membership": membership, "memberships": memberships},
    )


@require_GET
def confirm_contact_link(request, token):
    request.session[CONTACT_SESSION_KEY] = token[:100]
    return redirect("accounts:confirm_contact")


@require_http_methods(["GET", "POST"])
def confirm_contact(request):
    """The new contact e-mail is confirmed by a POST from the page the link opens."""
    raw = request.session.get(CONTACT_SESSION_KEY)
    if request.method == "POST":
        user = flow.contact_email_confirm(raw_token=raw or "")
        request.session.pop(CONTACT_SESSION_KEY, None)
        if user is None:
            return render(request, "accounts/contact_invalid.html")
        messages.success(
            request, _("Your contact e-mail is now %(email)s.") % {"email": user.contact_email}
        )
        return redirect("accounts:account" if request.user.is_authenticated else "accounts:login")
    from accounts.flows.tokens import find_token
    from accounts.models import OneTimeToken

    token = find_token(raw or "", OneTimeToken.Purpose.CONTACT_EMAIL)
    if token is None or token.state != "valid":
        return render(request, "accounts/contact_invalid.html")
    return render(request, "accounts/contact_confirm.html", {"new_email": token.payload})
