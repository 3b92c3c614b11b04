"""Step 4: the page opened by the activation link, and every other state of that link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import throttle
from accounts.flows import activation as flow
from accounts.flows.tokens import resend_activation_link
from accounts.forms.passwords import ActivationForm
from accounts.passwords import meter_rules
from accounts.views.registration import neutral_resend_message

STATE_TEMPLATES = {
    flow.State.EXPIRED: "accounts/activation_expired.html",
    flow.State.USED: "accounts/activation_used.html",
    flow.State.ALREADY_ACTIVE: "accounts/activation_used.html",
    flow.State.REPLACED: "accounts/activation_invalid.html",
    flow.State.INVALID: "accounts/activation_invalid.html",
}


@require_GET
def activate_link(request, token):
    """The link from the mail. It changes nothing: it moves the secret out of the address bar
    (and out of Referer headers and browser history) into the session, then redirects."""
    request.session[flow.SESSION_KEY] = token[:100]
    return redirect("accounts:activate")


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request):
    raw = request.session.get(flow.SESSION_KEY)
    state, token = flow.link_state(raw)
    if state != flow.State.VALID:
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
                flow.activate_account(
                    raw_token=raw,
                    password=form.cleaned_data["password"],
                    question=form.stored_question,
                    answer=form.cleaned_data["answer"],
                )
            except flow.ActivationRefused as refused:
                return render(request, STATE_TEMPLATES[refused.state], {"state": refused.state})
            del request.session[flow.SESSION_KEY]
            request.session["activation_done"] = True
            return redirect("accounts:activate_done")
    return render(
        request,
        "accounts/activate.html",
        {"form": form, "account": user, "meter_rules": meter_rules()},
    )


def activate_done(request):
    if not request.session.pop("activation_done", False):
        return redirect("accounts:login")
    return render(request, "accounts/activate_done.html")


@require_POST
def activate_resend(request):
    """An expired link asks for a new one, sent to the same address (throttled, neutral)."""
    raw = request.session.get(flow.SESSION_KEY)
    state, token = flow.link_state(raw)
    if token is not None and state in (flow.State.EXPIRED, flow.State.REPLACED):
        email = token.user.email
        over_ip = throttle.exceeded(request, group="resend-ip", rates=throttle.RESEND_PER_IP)
        over_address = throttle.exceeded(
            request, group="resend-address", rates=throttle.RESEND_PER_ADDRESS, key=email
        )
        if not (over_ip or over_address):
            resend_activation_link(email=email)
    messages.success(request, neutral_resend_message())
    return render(request, "accounts/activation_resent.html")
