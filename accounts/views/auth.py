"""Log in, log out, and the page a locked-out person sees."""

from datetime import timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.auth import LoginForm
from accounts.views.mfa import safe_target, second_step_start
from audit import services as audit
from audit.models import AuditEvent
from common import altcha, throttle
from common.pages import prepared_page

# Failed log-ins (wrong password or unknown address) per client IP across every account, and
# per account whatever the IP.
IP_FAILURES = "login-failures-ip"
ACCOUNT_FAILURES = "login-failures-account"


def _account_rates() -> list[str]:
    return [f"{settings.LOGIN_CHALLENGE_AFTER}/h"]


def _challenge_required(request, email: str) -> bool:
    """The account has had LOGIN_CHALLENGE_AFTER failures within the hour, from any IP."""
    return throttle.over(
        request, group=ACCOUNT_FAILURES, rates=_account_rates(), key=email, fail_closed=True
    )


@sensitive_post_parameters("login-password")
@never_cache
@require_http_methods(["GET", "POST"])
@prepared_page
def login_view(request):
    """The log-in form, behind three guards against guessing.

    1. Per IP, across accounts (a robot spraying one password over many addresses): checked
       before the password, so that over the budget even the right password is refused.
    2. Per account, across IPs (credential stuffing from many addresses): after a few failures
       the account asks for a solved proof-of-work challenge, and without one the password is
       not checked. It slows robots down and never locks the owner out, whose browser solves
       it in a fraction of a second.
    3. Per account and IP: django-axes' lock-out (AXES_FAILURE_LIMIT, AXES_COOLOFF_MINUTES).
    Every refusal is audited.
    """
    if request.user.is_authenticated and request.method == "GET":
        return redirect("workareas:dashboard")
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST":
        email = form.submitted_email()
        wait = throttle.peek(
            request, group=IP_FAILURES, rates=[settings.LOGIN_IP_FAILURE_RATE], fail_closed=True
        )
        if wait:
            audit.record(AuditEvent.Kind.LOCKOUT, email=email, reason="ip_failure_budget")
            return _locked_out_page(request, timedelta(seconds=wait))
        if email and _challenge_required(request, email):
            form.challenge_required = True
            verdict = altcha.check(request, form="login", fail_closed=True)
            if verdict is not altcha.Check.SOLVED:
                form.refuse(LoginForm.challenge_message)
                audit.record(
                    AuditEvent.Kind.LOGIN_FAILURE, email=email, reason=f"challenge_{verdict.value}"
                )
        if form.is_valid():
            # The password is right: the second step decides (accounts.views.mfa).
            target = safe_target(request, request.POST.get("next") or request.GET.get("next"))
            return second_step_start(request, form.user, target=target)
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            # A failure counts against both budgets, which the next try checks first.
            failed = form.cleaned_data["email"]
            rates = [settings.LOGIN_IP_FAILURE_RATE]
            throttle.exceeded(request, group=IP_FAILURES, rates=rates, fail_closed=True)
            account_rates = _account_rates()
            throttle.exceeded(
                request, group=ACCOUNT_FAILURES, rates=account_rates, key=failed, fail_closed=True
            )
            # The next try needs the check already: its widget starts at once.
            form.challenge_required = _challenge_required(request, failed)
    return render(
        request, "accounts/login.html", {"login_form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record(AuditEvent.Kind.LOGOUT, user=request.user)
    logout(request)
    return redirect("onboarding:home")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out (AXES_LOCKOUT_CALLABLE): the page below."""
    if not credentials:  # axes' own lock-outs are audited by its signal
        audit.record(AuditEvent.Kind.LOCKOUT)
    return _locked_out_page(request, get_cool_off(request) or timedelta(minutes=15))


def _locked_out_page(request, cool_off: timedelta):
    """Too many failed log-ins: say what happened and when to try again, with a way forward."""
    retry_at = timezone.localtime(timezone.now() + cool_off)
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": max(1, -(-int(cool_off.total_seconds()) // 60)), "retry_at": retry_at},
        status=429,
    )


def admin_login(request, extra_context=None):
    """The admin's log-in page: the portal's own, with its second step."""
    next_url = request.GET.get("next") or "/admin/"
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
