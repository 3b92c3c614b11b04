"""My account → "Two-step verification": the factors, their choice, recovery codes and the
remembered browsers. Every change needs a second factor passed within MFA_FRESH_SECONDS and
is mailed to the login e-mail (accounts.services.mfa)."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.mfa import CodeForm
from accounts.services import mfa
from accounts.views.mfa import fresh_second_factor_required


@never_cache
@login_required
def two_step(request):
    factors = mfa.factors_of(request.user)
    return render(
        request,
        "accounts/two_step.html",
        {
            "factors": factors,
            "browsers": mfa.browsers_remembered(request.user),
            "can_remove": factors.count > 1,
        },
    )


@never_cache
@login_required
def choose(request):
    """ "Choose your second factor": after the first log-in, or to add one."""
    return render(
        request, "accounts/two_step_choose.html", {"factors": mfa.factors_of(request.user)}
    )


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no script, no style attribute: CSP-clean). segno
    writes the markup itself from the URI's bits, and escapes the title."""
    label = _("QR code")
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, title=label)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return mark_safe(svg)  # noqa: S308


@sensitive_post_parameters("code")
@never_cache
@login_required
@fresh_second_factor_required
@require_http_methods(["GET", "POST"])
def authenticator_app(request):
    """Authenticator app: scan the QR code (or type the setup key), then prove it works."""
    device = mfa.totp_setup(user=request.user)
    form = CodeForm(request.POST or None, rememberable=False)
    if request.method == "POST" and form.is_valid():
        if mfa.totp_confirm(user=request.user, code=form.cleaned_data["code"]):
            messages.success(request, _("Your authenticator app is now your second factor."))
            return _after_first_factor(request)
        form.add_error(
            "code",
            _("This code does not match. Check the time of your phone and type the newest code."),
        )
    secret = _base32(device.bin_key)
    return render(
        request,
        "accounts/two_step_app.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "setup_key": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


@login_required
@fresh_second_factor_required
@require_POST
def keep_email_codes(request):
    """ "Keep receiving codes by e-mail"."""
    mfa.email_codes_choose(user=request.user)
    messages.success(request, _("You will receive a code by e-mail at each log-in."))
    return _after_first_factor(request)


def _after_first_factor(request):
    """Ten recovery codes after the first factor; otherwise back to the factors."""
    if mfa.factors_of(request.user).recovery_left == 0:
        codes = mfa.recovery_codes_generate(user=request.user, announce=False)
        return _show_recovery_codes(request, codes)
    return redirect("accounts:two_step")


def _show_recovery_codes(request, codes: list[str]):
    text = "\n".join(codes) + "\n"
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "download": text},
    )


@never_cache
@login_required
@fresh_second_factor_required
@require_POST
def recovery_codes_new(request):
    """New recovery codes: shown once, the older ones stop working."""
    if not mfa.factors_of(request.user).enrolled:
        return redirect("accounts:two_step_choose")
    return _show_recovery_codes(request, mfa.recovery_codes_generate(user=request.user))


@login_required
@fresh_second_factor_required
@require_POST
def remove_factor(request):
    factor = request.POST.get("factor", "")
    key_id = request.POST.get("key")
    try:
        mfa.factor_remove(
            user=request.user,
            factor=factor,
            key_id=int(key_id) if key_id and key_id.isascii() and key_id.isdigit() else None,
        )
    except mfa.LastFactor:
        messages.error(
            request, _("This is your only second factor: add another one before removing it.")
        )
    else:
        messages.success(request, _("The second factor has been removed."))
    return redirect("accounts:two_step")


@login_required
@fresh_second_factor_required
@require_POST
def revoke_browser(request, pk):
    if mfa.browser_revoke(user=request.user, browser_id=pk):
        messages.success(request, _("This browser will ask for the second factor again."))
    return redirect("accounts:two_step")
