"""Security keys and passkeys (WebAuthn): the page that adds one, and the log-in with one.

The browser's part runs in static/js/webauthn.js: it asks for the options (a POST answered in
JSON, the challenge staying in the session), lets the browser talk to the key, then sends the
answer. Adding a key posts the page's own form (name + the key's answer), so the outcome is an
ordinary page: the recovery codes after a first factor, or the form with its errors. Logging
in posts the answer in JSON and is told where to go next.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.mfa import SecurityKeyNameForm
from accounts.services import mfa, webauthn
from accounts.views.mfa import _finish, _pending, fresh_second_factor_required, verified_recently
from accounts.views.two_step import _after_first_factor

REFUSALS = {
    "challenge": gettext_lazy("This attempt has expired. Try again."),
    "invalid": gettext_lazy("The answer of your security key could not be checked. Try again."),
    "known": gettext_lazy("This security key is already added to your account."),
    "unknown": gettext_lazy(
        "This security key is not one of the keys of your account. Use another key, or "
        "another way below."
    ),
    "cloned": gettext_lazy(
        "This security key was refused: it looks like a copy of your key. Use another way "
        "below, then remove this key from your account."
    ),
}


def _relying_party(request) -> webauthn.RelyingParty:
    # get_host() refuses a host that ALLOWED_HOSTS does not list.
    return webauthn.RelyingParty.of(scheme=request.scheme, host=request.get_host())


def _json_body(request) -> dict:
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# Adding a key ----------------------------------------------------------------------------------


@never_cache
@login_required
@fresh_second_factor_required
@require_http_methods(["GET", "POST"])
def add(request):
    """ "Security key": a name, then the browser's ceremony (its script fills `credential`
    and sends the form). Without the script the page says a key needs JavaScript."""
    form = SecurityKeyNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credential = request.POST.get("credential", "")
        if not credential:
            form.add_error(
                None,
                _(
                    "A security key needs JavaScript, which your browser does not run. Choose "
                    "another second factor."
                ),
            )
        else:
            try:
                key = webauthn.registration_verify(
                    user=request.user,
                    rp=_relying_party(request),
                    session=request.session,
                    credential=credential,
                    name=form.cleaned_data["name"],
                )
            except webauthn.KeyRefused as refused:
                form.add_error(None, REFUSALS[refused.reason])
            else:
                messages.success(
                    request,
                    _("Your security key “%(name)s” has been added.") % {"name": key.name},
                )
                return _after_first_factor(request)
    return render(request, "accounts/two_step_key.html", {"form": form})


@never_cache
@require_POST
def add_options(request):
    """The options of navigator.credentials.create(); someone logged out or whose second
    factor is not fresh is sent to the page, which asks for it."""
    if not request.user.is_authenticated or not verified_recently(request):
        return JsonResponse({"redirect": reverse("accounts:two_step_key")}, status=403)
    return JsonResponse(
        webauthn.registration_options(
            user=request.user, rp=_relying_party(request), session=request.session
        )
    )


# Logging in with a key -------------------------------------------------------------------------


def _to_login_verify(request, status: int) -> JsonResponse:
    """Back to the second step's page, which says what to do (log in again, wait...)."""
    return JsonResponse({"redirect": reverse("accounts:login_verify")}, status=status)


@never_cache
@require_POST
def login_options(request):
    """The options of navigator.credentials.get(): this person's keys."""
    user, _pending_login = _pending(request)
    if user is None:
        return JsonResponse({"redirect": reverse("accounts:login")}, status=403)
    if mfa.locked_out(user):
        return _to_login_verify(request, 429)
    return JsonResponse(
        webauthn.authentication_options(
            user=user, rp=_relying_party(request), session=request.session
        )
    )


@never_cache
@require_POST
def login_key(request):
    """The key's signed answer: the log-in completes (JSON {"redirect": where next}), or
    {"error": why} in plain words."""
    user, pending = _pending(request)
    if user is None:
        return JsonResponse({"redirect": reverse("accounts:login")}, status=403)
    if mfa.locked_out(user):
        return _to_login_verify(request, 429)
    data = _json_body(request)
    try:
        webauthn.authentication_verify(
            user=user,
            rp=_relying_party(request),
            session=request.session,
            credential=data.get("credential"),
        )
    except webauthn.KeyRefused as refused:
        if mfa.locked_out(user):
            return _to_login_verify(request, 429)
        return JsonResponse({"error": str(REFUSALS[refused.reason])}, status=400)
    finished = _finish(
        request,
        user,
        pending,
        method=webauthn.METHOD,
        remember=pending is not None and data.get("remember") is True,
    )
    response = JsonResponse({"redirect": finished["Location"]})
    response.cookies = finished.cookies  # the remembered browser, the language
    return response
