"""Registration steps 1 to 3 and the confirmation page. Views parse, call a flow, render."""

import logging

from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from accounts.flows import registration as flow
from accounts.flows.tokens import resend_activation_link
from accounts.forms.auth import LoginForm
from accounts.forms.registration import AreasForm, DetailsForm, StartForm
from workareas.models import catalogue

logger = logging.getLogger(__name__)


def _draft(request) -> dict | None:
    return request.session.get(flow.SESSION_KEY)


def _save_draft(request, draft: dict) -> None:
    request.session[flow.SESSION_KEY] = draft


def home(request):
    """Step 1 (new on Chorus Pro?) beside the log-in block."""
    if request.method == "POST":
        return register_start(request)
    draft = _draft(request) or {}
    form = StartForm(initial={"email": draft.get("email", ""), "siret": draft.get("siret", "")})
    return render(request, "accounts/home.html", {"form": form, "login_form": LoginForm()})


@require_http_methods(["GET", "POST"])
def register_start(request):
    if request.method == "GET":
        return redirect("accounts:home")
    form = StartForm(request.POST)
    if form.is_valid():
        if throttle.exceeded(
            request, group="register-start", rates=throttle.REGISTRATION_START_PER_IP
        ):
            return render(request, "429.html", status=429)
        try:
            draft = flow.start_registration(
                email=form.cleaned_data["email"], siret=form.cleaned_data["siret"]
            )
        except flow.StartRefused as refused:
            form.add_error("siret", refused.message)
        else:
            previous = _draft(request) or {}
            if previous.get("siret") == draft["siret"] and previous.get("details"):
                draft["details"] = previous["details"]  # coming back to step 1 loses nothing
                draft["areas"] = previous.get("areas")
            _save_draft(request, draft)
            return redirect("accounts:register_details")
    return render(
        request, "accounts/home.html", {"form": form, "login_form": LoginForm()}, status=200
    )


@require_http_methods(["GET", "POST"])
def register_details(request):
    """Step 2: the person, and the structure autofilled from INSEE (read-only when it exists)."""
    draft = _draft(request)
    if not draft:
        messages.info(request, _("Start with your login e-mail and your company's SIRET."))
        return redirect("accounts:home")
    structure = flow.existing_structure(draft)
    existing = structure is not None
    if request.method == "POST":
        form = DetailsForm(request.POST, existing_structure=existing)
        if form.is_valid():
            details = dict(form.cleaned_data)
            details["contact_email"] = details.get("contact_email") or draft["email"]
            draft["details"] = {k: (v if v is not None else "") for k, v in details.items()}
            _save_draft(request, draft)
            return redirect("accounts:register_areas")
    else:
        form = DetailsForm(initial=flow.initial_details(draft), existing_structure=existing)
    context = {
        "form": form,
        "draft": draft,
        "structure": structure,
        "lookup": draft.get("lookup"),
        "contact_open": bool(
            form.is_bound and form.data.get("contact_email", draft["email"]) != draft["email"]
        )
        or bool(form.errors.get("contact_email")),
    }
    return render(request, "accounts/register_details.html", context)


@require_http_methods(["GET", "POST"])
def register_areas(request):
    """Step 3: the work areas, then the account is created."""
    draft = _draft(request)
    if not draft:
        return redirect("accounts:home")
    if not draft.get("details"):
        return redirect("accounts:register_details")
    areas = catalogue()
    if request.method == "POST":
        form = AreasForm(request.POST, catalogue=areas)
        if form.is_valid():
            draft["areas"] = form.cleaned_data["areas"]
            _save_draft(request, draft)
            try:
                result = flow.complete_registration(
                    draft=draft, area_codes=draft["areas"], language=get_language() or "en"
                )
            except DatabaseError:
                logger.exception("registration: the account could not be created")
                form.add_error(
                    None,
                    _(
                        "Your account could not be created because of a technical problem. "
                        "Nothing was saved. Please validate again in a few minutes."
                    ),
                )
            else:
                del request.session[flow.SESSION_KEY]
                request.session[flow.SENT_KEY] = result.email
                return redirect("accounts:register_sent")
        selected = set(form.data.getlist("areas"))
    else:
        form = AreasForm(catalogue=areas)
        chosen = draft.get("areas")
        selected = set(chosen) if chosen is not None else {a.code for a in areas if a.on_by_default}
    rows = [
        {
            "area": area,
            "checked": area.always_on or area.code in selected,
            "locked": area.always_on,
        }
        for area in areas
    ]
    structure = flow.existing_structure(draft)
    structure_name = structure.name if structure else draft["details"].get("company_name", "")
    return render(
        request,
        "accounts/register_areas.html",
        {"form": form, "rows": rows, "draft": draft, "structure_name": structure_name},
    )


def register_sent(request):
    """The confirmation: the activation mail is on its way."""
    email = request.session.get(flow.SENT_KEY)
    if not email:
        return redirect("accounts:home")
    return render(request, "accounts/register_sent.html", {"email": email})


@require_POST
def register_resend(request):
    """ "Send me a new link", always answered with the same neutral message."""
    email = request.session.get(flow.SENT_KEY)
    if not email:
        return redirect("accounts:home")
    over_ip = throttle.exceeded(request, group="resend-ip", rates=throttle.RESEND_PER_IP)
    over_address = throttle.exceeded(
        request, group="resend-address", rates=throttle.RESEND_PER_ADDRESS, key=email
    )
    if not (over_ip or over_address):
        resend_activation_link(email=email)
    messages.success(request, neutral_resend_message())
    return redirect("accounts:register_sent")


def neutral_resend_message():
    return _(
        "If an account is waiting for activation at this address, a new link has been sent. "
        "Only the newest link works. If nothing arrives within a few minutes, check your spam "
        "folder; you can ask again in a minute."
    )
