"""Log in, log out, and the page a locked-out person sees."""

from datetime import timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.auth import LoginForm
from audit import services as audit
from audit.models import AuditEvent
from common import throttle


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("workareas:dashboard")
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST":
        if form.is_valid():
            user = form.user
            login(request, user)  # rotates the session key
            target = request.POST.get("next") or request.GET.get("next")
            if not (
                target
                and url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                )
            ):
                target = reverse("workareas:dashboard")
            response = HttpResponseRedirect(target)
            # The portal speaks the language the person chose in their account.
            return remember_language(response, user.preferred_language)
        # Failures from one IP across every account: a robot trying many addresses.
        if form.errors.get("__all__") and throttle.exceeded(
            request, group="login-failures-ip", rates=[settings.LOGIN_IP_FAILURE_RATE]
        ):
            return locked_out(request, None, None)
    return render(
        request, "accounts/login.html", {"login_form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(AuditEvent.Kind.LOGOUT, user=request.user)
    logout(request)
    return redirect("onboarding:home")


def remember_language(response, language: str):
    """Set the language cookie as Django's own language switch does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


def locked_out(request, original_response=None, credentials=None):
    """Too many failed log-ins: say what happened and when to try again, with a way forward."""
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    retry_at = timezone.localtime(timezone.now() + cool_off)
    email = ""
    if credentials:
        email = credentials.get("email") or credentials.get("username") or ""
    if not credentials:  # axes' own lock-outs are audited by its signal
        audit.record(AuditEvent.Kind.LOCKOUT, email=email)
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": int(cool_off.total_seconds() // 60), "retry_at": retry_at},
        status=429,
    )
