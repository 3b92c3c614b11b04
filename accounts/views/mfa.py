"""The second step of every log-in, and the middleware that makes it mandatory.

After the right password the person is not logged in: the session only holds a pending
log-in (user, when, where to go next), valid MFA_PENDING_TTL. `login()` is called once a
second factor passes (which rotates the session key), and the session then records when
(SESSION_VERIFIED_AT). SecondFactorMiddleware logs out any session authenticated without it,
whatever path authenticated it (the admin's own log-in page redirects here anyway).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.mfa import CodeForm, RecoveryCodeForm
from accounts.services import mfa
from accounts.views.language import remember_language

PENDING_KEY = "mfa_pending"
SESSION_VERIFIED_AT = "mfa_verified_at"
# When a factor was typed or touched (never set by a remembered browser): changes to the
# factors need one within MFA_FRESH_SECONDS.
SESSION_FACTOR_AT = "mfa_factor_at"


# The session's states --------------------------------------------------------------------------


def safe_target(request, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("workareas:dashboard")


def second_step_start(request, user, *, target: str):
    """The password was right: go to the second step (or straight in from a remembered
    browser, which counts as the second factor)."""
    if mfa.factors_of(user).enrolled and mfa.browser_recognised(
        user=user, cookie=request.COOKIES.get(mfa.REMEMBER_COOKIE)
    ):
        return login_complete(request, user, backend=user.backend, target=target, method="browser")
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": time.time(),
        "next": target,
    }
    return redirect("accounts:login_verify")


def _pending(request):
    """The person at the second step: logged in already (asked again before a change of
    their factors), or with a pending log-in younger than MFA_PENDING_TTL. None otherwise."""
    if request.user.is_authenticated:
        return request.user, None
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None, None
    if time.time() - pending.get("at", 0) > settings.MFA_PENDING_TTL:
        request.session.pop(PENDING_KEY, None)
        messages.info(
            request,
            _("More than 10 minutes passed since you typed your password: log in again."),
        )
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def login_complete(
    request, user, *, backend: str, target: str, method: str, remember=False, enrolled=None
):
    """The second factor passed: log in (new session key), record when, remember the
    browser if asked, and go on (to the choice of a factor when none is enrolled yet)."""
    login(request, user, backend=backend)
    request.session[SESSION_VERIFIED_AT] = time.time()
    if method != "browser":
        request.session[SESSION_FACTOR_AT] = time.time()
    request.session.pop(PENDING_KEY, None)
    if enrolled is None:
        enrolled = mfa.factors_of(user, count_recovery_codes=False).enrolled
    if not enrolled:
        target = reverse("accounts:two_step_choose")
    response = HttpResponseRedirect(target)
    if remember:
        value = mfa.browser_remember(user=user, user_agent=request.META.get("HTTP_USER_AGENT", ""))
        response.set_cookie(
            mfa.REMEMBER_COOKIE,
            value,
            max_age=settings.MFA_REMEMBER_DAYS * 86400,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return remember_language(response, user.preferred_language)


def verified_recently(request) -> bool:
    """A factor was given in this session within MFA_FRESH_SECONDS (a remembered browser
    does not count: it must not be enough to change the factors)."""
    factor_at = request.session.get(SESSION_FACTOR_AT) or 0
    return time.time() - factor_at <= settings.MFA_FRESH_SECONDS


def fresh_second_factor_required(view):
    """For changes to the factors: a second factor passed within MFA_FRESH_SECONDS, else the
    second step again, then back here."""

    def wrapped(request, *args, **kwargs):
        if not verified_recently(request):
            # Back here after the second step; a form posted here is shown again from the
            # settings page (its POST cannot be replayed by a redirect).
            back = (
                request.get_full_path() if request.method == "GET" else reverse("accounts:two_step")
            )
            query = urlencode({"next": back})
            return redirect(f"{reverse('accounts:login_verify')}?{query}")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class SecondFactorMiddleware:
    """No session is authenticated without a second factor: one that is (an older session,
    or any path that called login() alone) is logged out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.session.get(SESSION_VERIFIED_AT):
            logout(request)
        return self.get_response(request)


# The second step -------------------------------------------------------------------------------


def _finish(request, user, pending, *, method: str, remember: bool, enrolled=None):
    if pending is None:  # asked again while logged in
        request.session[SESSION_VERIFIED_AT] = time.time()
        request.session[SESSION_FACTOR_AT] = time.time()
        return redirect(safe_target(request, request.GET.get("next")))
    return login_complete(
        request,
        user,
        backend=pending["backend"],
        target=safe_target(request, pending.get("next")),
        method=method,
        remember=remember,
        enrolled=enrolled,
    )


def _locked(request):
    return render(request, "accounts/mfa_locked.html", status=429)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request):
    """The second page: the authenticator code, or the e-mail code (sent at once to someone
    without an authenticator app), the security key, and the fall-backs."""
    user, pending = _pending(request)
    if user is None:
        return redirect("accounts:login")
    # A POST is checked against the cap under the person's lock (mfa.code_check).
    if request.method == "GET" and mfa.locked_out(user):
        return _locked(request)
    factors = mfa.factors_of(user, count_recovery_codes=False)
    codes = None
    if request.method == "GET" or factors.totp:
        codes = mfa.email_code_status(user)
    # No app nor key: the code goes to the login e-mail at once.
    send_now = request.method == "GET" and not (factors.totp or factors.keys or codes.waiting)
    if send_now and _send_code(request, user, quiet=True, status=codes):
        codes = mfa.EmailCodeStatus(codes.sent_today + 1, timezone.now(), waiting=True)
    form = CodeForm(request.POST or None, rememberable=pending is not None)
    if request.method == "POST" and form.is_valid():
        # A code mailed and waiting is tried first: a TOTP check of it would count against
        # the app's own throttle (django-otp makes the device wait after each wrong code).
        if factors.totp is None:
            methods = ["email"]
        else:
            methods = ["email", "totp"] if codes.waiting else ["totp"]
        if mfa.code_check(user=user, code=form.cleaned_data["code"], methods=methods):
            return _finish(
                request,
                user,
                pending,
                method="code",
                remember=form.cleaned_data.get("remember"),
                enrolled=factors.enrolled,
            )
        if mfa.locked_out(user):
            return _locked(request)
        form.add_error("code", _("This code is not the right one, or it has expired."))
    return render(
        request,
        "accounts/login_verify.html",
        {
            "form": form,
            "factors": factors,
            "by_email": (codes or mfa.email_code_status(user)).waiting,
            "login_email": user.email,
            "next": request.GET.get("next", ""),
        },
    )


def _send_code(request, user, *, quiet: bool, status=None) -> bool:
    """Mail a code; when it cannot be sent yet, say why (unless quiet). True when sent."""
    try:
        mfa.email_code_send(user=user, status=status)
    except mfa.CodeNotSent as refused:
        if not quiet:
            if str(refused) == "minute":
                messages.info(request, _("A code was sent less than a minute ago: wait a little."))
            else:
                messages.error(
                    request,
                    _("Too many codes were sent today. Use a recovery code, or ask the help desk."),
                )
        return False
    if not quiet:
        messages.success(
            request, _("A new code has been sent to %(email)s.") % {"email": user.email}
        )
    return True


@require_POST
def login_verify_send_code(request):
    """ "Send me a code by e-mail": the fall-back when the app or the key is not at hand."""
    user, _pending_login = _pending(request)
    if user is None:
        return redirect("accounts:login")
    _send_code(request, user, quiet=False)
    next_url = request.POST.get("next")
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return redirect(f"{reverse('accounts:login_verify')}{query}")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify_recovery(request):
    """ "Use a recovery code": each of the ten works once."""
    user, pending = _pending(request)
    if user is None:
        return redirect("accounts:login")
    # A POST is checked against the cap under the person's lock (mfa.code_check).
    if request.method == "GET" and mfa.locked_out(user):
        return _locked(request)
    form = RecoveryCodeForm(request.POST or None)
    if pending is None:
        del form.fields["remember"]
    if request.method == "POST" and form.is_valid():
        if mfa.code_check(user=user, code=form.cleaned_data["code"], methods=["recovery"]):
            left = mfa.factors_of(user).recovery_left
            messages.warning(
                request,
                _("Recovery code accepted. You have %(left)d left: make new ones if few remain.")
                % {"left": left},
            )
            return _finish(
                request,
                user,
                pending,
                method="recovery",
                remember=form.cleaned_data.get("remember"),
            )
        if mfa.locked_out(user):
            return _locked(request)
        form.add_error("code", _("This recovery code is not valid, or it was used already."))
    return render(
        request,
        "accounts/login_verify_recovery.html",
        {"form": form, "next": request.GET.get("next", "")},
    )
