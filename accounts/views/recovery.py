"""Forgot your password? A mailed link plus the secret answer."""

from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import secret
from accounts.forms.account import ForgotForm, ResetForm
from accounts.passwords import meter_rules
from accounts.services import recovery as service
from accounts.views.links import link_forget, link_opener, link_secret
from common import throttle
from common.pages import prepared_page


@require_http_methods(["GET", "POST"])
@prepared_page
def forgot(request):
    form = ForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not throttle.mail_to_address_exceeded(
            request, group="reset-mail", address=email, per_ip=throttle.PASSWORD_FORGOT_PER_IP
        ):
            service.password_reset_request(email=email)
        return render(request, "accounts/password_forgot_sent.html", {"email": email})
    return render(request, "accounts/password_forgot.html", {"form": form})


reset_link = link_opener(service.PURPOSE, "accounts:password_reset")


@sensitive_post_parameters("answer", "password", "confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
def reset(request):
    raw = link_secret(request, service.PURPOSE)
    token = service.password_reset_link(raw_token=raw)
    if token is None:
        return render(request, "accounts/password_reset_invalid.html")
    user = token.user
    form = ResetForm(request.POST or None, user=user)
    if request.method == "POST":
        if throttle.exceeded(request, group="recovery-ip", rates=throttle.RECOVERY_PER_IP):
            return render(request, "429.html", status=429)
        if form.is_valid():
            try:
                service.password_reset(
                    raw_token=raw,
                    answer=form.cleaned_data["answer"],
                    new_password=form.cleaned_data["password"],
                )
            except service.WrongAnswer as wrong:
                if wrong.remaining <= 0:
                    link_forget(request, service.PURPOSE)
                    return render(
                        request, "accounts/password_reset_invalid.html", {"too_many": True}
                    )
                form.add_error(
                    "answer",
                    ngettext(
                        "This answer is not the one you chose. %(remaining)d attempt left.",
                        "This answer is not the one you chose. %(remaining)d attempts left.",
                        wrong.remaining,
                    )
                    % {"remaining": wrong.remaining},
                )
            except service.LinkUnusable:
                return render(request, "accounts/password_reset_invalid.html")
            else:
                link_forget(request, service.PURPOSE)
                return render(request, "accounts/password_reset_done.html")
    return render(
        request,
        "accounts/password_reset.html",
        {
            "form": form,
            "question": secret.question_text(user.secret_question),
            "meter_rules": meter_rules(),
        },
    )
