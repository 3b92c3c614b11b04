"""Step 4: the page opened by the activation link, and every other state of that link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.passwords import ActivationForm
from accounts.passwords import meter_rules
from accounts.services.links import activation_link_resend
from accounts.views.links import link_forget, link_opener, link_secret
from common import throttle
from onboarding.services import activation as service
from onboarding.views.registration import neutral_resend_message

State = service.ActivationState
STATE_TEMPLATES = {
    State.EXPIRED: "onboarding/activation_expired.html",
    State.USED: "onboarding/activation_used.html",
    State.ALREADY_ACTIVE: "onboarding/activation_used.html",
    State.REPLACED: "onboarding/activation_invalid.html",
    State.INVALID: "onboarding/activation_invalid.html",
}

activate_link = link_opener(service.PURPOSE, "onboarding:activate")


@sensitive_post_parameters("password", "confirmation", "answer")
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request):
    raw = link_secret(request, service.PURPOSE)
    state, token = service.activation_link_state(raw_token=raw)
    if state != State.VALID:
        return render(request, STATE_TEMPLATES[state], {"state": state}, status=200)
    user = token.user
    form = ActivationForm(request.POST or None, user=user)
    if request.method == "POST":
        over_token = throttle.exceeded(
            request, group="activate-token", rates=throttle.ACTIVATION_PER_TOKEN, key=raw
        )
        over_ip = throttle.exceeded(request, group="activate-ip", rates=throttle.ACTIVATION_PER_IP)
        if over_token or over_ip:
            return render(request, "429.html", status=429)
        if form.is_valid():
            try:
                service.account_activate(
                    raw_token=raw,
                    password=form.cleaned_data["password"],
                    question=form.stored_question,
                    answer=form.cleaned_data["answer"],
                )
            except service.ActivationRefused as refused:
                return render(request, STATE_TEMPLATES[refused.state], {"state": refused.state})
            link_forget(request, service.PURPOSE)
            request.session["activation_done"] = True
            return redirect("onboarding:activate_done")
    return render(
        request,
        "onboarding/activate.html",
        {"form": form, "account": user, "meter_rules": meter_rules()},
    )


def activate_done(request):
    if not request.session.pop("activation_done", False):
        return redirect("accounts:login")
    return render(request, "onboarding/activate_done.html")


@require_POST
def activate_resend(request):
    """An expired link asks for a new one, sent to the same address (throttled, neutral)."""
    raw = link_secret(request, service.PURPOSE)
    state, token = service.activation_link_state(raw_token=raw)
    if token is not None and state in (State.EXPIRED, State.REPLACED):
        email = token.user.email
        if not throttle.mail_to_address_exceeded(
            request, group="activation-mail", address=email, per_ip=throttle.RESEND_PER_IP
        ):
            activation_link_resend(email=email)
    messages.success(request, neutral_resend_message())
    return render(request, "onboarding/activation_resent.html")
