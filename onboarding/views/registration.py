"""Registration steps 1 to 3 and the confirmation page. Views parse, call a service, render."""

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms.auth import LoginForm
from accounts.services.links import activation_link_resend
from common import altcha, metrics, throttle
from common.pages import prepared_page
from onboarding.draft import DraftExpired, RegistrationDraft
from onboarding.forms import DetailsForm, StartForm
from onboarding.services import registration as service
from structures.identifiers import BUILT_FROM_NAME, WITHOUT_NUMBER, IdentifierType
from workareas.forms import AreasForm
from workareas.models import catalogue

logger = logging.getLogger(__name__)

SENT_KEY = "registration_sent_to"
SIRET_CHOSEN = re.compile(r"[0-9]{14}")
# The types whose number is typed in "Company registration number".
NUMBERED_IN_FIELD = frozenset(set(IdentifierType) - WITHOUT_NUMBER - BUILT_FROM_NAME)


def _draft(request) -> RegistrationDraft | None:
    """This browser's draft; an expired one is dropped with a message saying so."""
    try:
        return RegistrationDraft.from_session(request.session)
    except DraftExpired:
        messages.info(
            request,
            _(
                "Your registration was started more than two hours ago, so what you typed was "
                "not kept. Please start again with your login e-mail and your SIRET."
            ),
        )
        return None


@never_cache  # it carries a single-use robot check
@prepared_page
def home(request):
    """Step 1 (new on Chorus Pro?) beside the log-in block."""
    if request.method == "POST":
        return register_start(request)
    draft = _draft(request)
    initial = {}
    if draft:
        initial = {"email": draft.email, "identifier_type": draft.identifier_type}
        if draft.identifier_type in NUMBERED_IN_FIELD:
            initial["siret"] = draft.identifier
        initial.update(
            {"country": draft.fixed.get("country"), "company_name": draft.fixed.get("name")}
            if draft.identifier_type == IdentifierType.OUTSIDE_EU
            else {}
        )
    chosen = request.GET.get("siret", "")
    if SIRET_CHOSEN.fullmatch(chosen):  # from "Find my company" without JavaScript
        initial.update(identifier_type=IdentifierType.SIRET, siret=chosen)
    form = StartForm(initial=initial)
    return render(request, "onboarding/home.html", {"form": form, "login_form": LoginForm()})


@require_http_methods(["GET", "POST"])
def register_start(request):
    """Step 1: the INSEE look-up, a small share of the shared INSEE quota per IP (stricter for
    a form sent without a solved proof-of-work challenge)."""
    if request.method == "GET":
        return redirect("onboarding:home")
    form = StartForm(request.POST)
    if form.is_valid():
        admission = altcha.admit(
            request,
            form="step1",
            group="step1-lookups",
            rates=settings.STEP1_LOOKUPS_PER_IP,
            rates_without_challenge=settings.STEP1_LOOKUPS_PER_IP_WITHOUT_CHALLENGE,
            fail_closed=True,  # INSEE's quota (common.throttle's policy)
        )
        if admission is altcha.Admission.THROTTLED:
            return render(request, "429.html", status=429)
        if admission is altcha.Admission.REFUSED:
            form.add_error(None, altcha.REFUSED_MESSAGE)
        else:
            try:
                data = form.cleaned_data
                draft = service.registration_start(
                    email=data["email"],
                    identifier_type=data["identifier_type"],
                    identifier=data["identifier"],
                    country=data.get("country") or "",
                    company_name=data.get("company_name") or "",
                )
            except service.StartRefused as refused:
                form.add_error("siret", refused.message)
            else:
                previous = _draft(request)
                if (
                    previous
                    and (previous.identifier_type, previous.identifier)
                    == (draft.identifier_type, draft.identifier)
                    and previous.details
                ):
                    # Coming back to step 1 loses nothing.
                    draft.details, draft.areas = previous.details, previous.areas
                draft.to_session(request.session)
                metrics.REGISTRATIONS_STARTED.inc()
                return redirect("onboarding:register_details")
    return render(
        request, "onboarding/home.html", {"form": form, "login_form": LoginForm()}, status=200
    )


def _step2_options(draft: RegistrationDraft) -> dict:
    return {"identifier_type": draft.identifier_type, "fixed": draft.fixed}


@require_http_methods(["GET", "POST"])
def register_details(request):
    """Step 2: the person, and the structure autofilled from INSEE (read-only when it exists)."""
    draft = _draft(request)
    if draft is None:
        messages.info(request, _("Start with your login e-mail and your company's SIRET."))
        return redirect("onboarding:home")
    structure = service.registration_structure(draft)
    existing = structure is not None
    if request.method == "POST":
        form = DetailsForm(request.POST, existing_structure=existing, **_step2_options(draft))
        if form.is_valid():
            details = form.details()
            details.contact_email = details.contact_email or draft.email
            draft.details = details
            draft.to_session(request.session)
            return redirect("onboarding:register_areas")
    else:
        form = DetailsForm(
            initial=draft.step2_initial(), existing_structure=existing, **_step2_options(draft)
        )
    context = {
        "form": form,
        "draft": draft,
        "structure": structure,
        "lookup": str(draft.lookup),
        "identifier_type": str(draft.identifier_type),
        "identifier_type_label": IdentifierType(draft.identifier_type).label,
        "contact_open": bool(
            form.is_bound and form.data.get("contact_email", draft.email) != draft.email
        )
        or bool(form.errors.get("contact_email")),
    }
    return render(request, "onboarding/register_details.html", context)


@require_http_methods(["GET", "POST"])
def register_areas(request):
    """Step 3: the work areas, then the account is created."""
    draft = _draft(request)
    if draft is None:
        return redirect("onboarding:home")
    if draft.details is None:
        return redirect("onboarding:register_details")
    areas = catalogue()
    if request.method == "POST":
        form = AreasForm(request.POST, catalogue=areas)
        if form.is_valid():
            draft.areas = form.cleaned_data["areas"]
            draft.to_session(request.session)
            if throttle.mail_to_address_exceeded(
                request,
                group="registration-mail",
                address=draft.email,
                per_ip=throttle.REGISTRATION_MAILS_PER_IP,
            ):
                # Registering the same address again and again: the same neutral page as a
                # registration, with the same limits as "Send me a new link", and no mail.
                RegistrationDraft.drop(request.session)
                request.session[SENT_KEY] = draft.email
                return redirect("onboarding:register_sent")
            try:
                result = service.registration_complete(draft=draft, language=get_language() or "en")
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
                RegistrationDraft.drop(request.session)
                request.session[SENT_KEY] = result.email
                return redirect("onboarding:register_sent")
        selected = set(form.data.getlist("areas"))
    else:
        form = AreasForm(catalogue=areas)
        chosen = draft.areas
        selected = set(chosen) if chosen is not None else {a.code for a in areas if a.on_by_default}
    rows = [
        {
            "area": area,
            "checked": area.always_on or area.code in selected,
            "locked": area.always_on,
        }
        for area in areas
    ]
    structure = service.registration_structure(draft)
    if structure is None:
        structure_name = draft.details.company_name
    else:
        # A non-diffusible structure's name is for its members only.
        structure_name = "" if structure.non_diffusible else structure.name
    return render(
        request,
        "onboarding/register_areas.html",
        {"form": form, "rows": rows, "draft": draft, "structure_name": structure_name},
    )


def register_sent(request):
    """The confirmation: the activation mail is on its way."""
    email = request.session.get(SENT_KEY)
    if not email:
        return redirect("onboarding:home")
    return render(request, "onboarding/register_sent.html", {"email": email})


@require_POST
def register_resend(request):
    """ "Send me a new link", always answered with the same neutral message."""
    email = request.session.get(SENT_KEY)
    if not email:
        return redirect("onboarding:home")
    if not throttle.mail_to_address_exceeded(
        request, group="activation-mail", address=email, per_ip=throttle.RESEND_PER_IP
    ):
        activation_link_resend(email=email)
    messages.success(request, neutral_resend_message())
    return redirect("onboarding:register_sent")


def neutral_resend_message():
    return _(
        "If an account is waiting for activation at this address, a new link has been sent. "
        "Only the newest link works. If nothing arrives within a few minutes, check your spam "
        "folder; you can ask again in a minute."
    )
