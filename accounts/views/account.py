"""My account: profile, contact e-mail, password, secret question."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import secret
from accounts.forms.account import PasswordChangeForm, ProfileForm, SecretQuestionChangeForm
from accounts.models import OneTimeToken
from accounts.passwords import meter_rules
from accounts.services import account as service
from accounts.views.language import remember_language
from accounts.views.links import link_forget, link_opener, link_secret

CONTACT = OneTimeToken.Purpose.CONTACT_EMAIL


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
        sent = service.profile_update(user=user, **form.cleaned_data)
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
            "memberships": user.memberships.select_related("structure"),
        },
    )


@sensitive_post_parameters("current_password", "password", "confirmation")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def change_password(request):
    form = PasswordChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        service.password_change(
            request=request, user=request.user, new_password=form.cleaned_data["password"]
        )
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:account")
    return render(
        request, "accounts/change_password.html", {"form": form, "meter_rules": meter_rules()}
    )


@sensitive_post_parameters("current_password", "answer")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def change_secret_question(request):
    form = SecretQuestionChangeForm(request.POST or None, user=request.user, request=request)
    if request.method == "POST" and form.is_valid():
        service.secret_question_change(
            user=request.user, question=form.stored_question, answer=form.cleaned_data["answer"]
        )
        messages.success(request, _("Your secret question has been changed."))
        return redirect("accounts:account")
    return render(request, "accounts/change_secret.html", {"form": form})


confirm_contact_link = link_opener(CONTACT, "accounts:confirm_contact")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_contact(request):
    """The new contact e-mail is confirmed by a POST from the page the link opens."""
    raw = link_secret(request, CONTACT)
    if request.method == "POST":
        user = service.contact_email_confirm(raw_token=raw)
        link_forget(request, CONTACT)
        if user is None:
            return render(request, "accounts/contact_invalid.html")
        messages.success(
            request, _("Your contact e-mail is now %(email)s.") % {"email": user.contact_email}
        )
        return redirect("accounts:account" if request.user.is_authenticated else "accounts:login")
    new_email = service.contact_email_pending(raw_token=raw)
    if new_email is None:
        return render(request, "accounts/contact_invalid.html")
    return render(request, "accounts/contact_confirm.html", {"new_email": new_email})
