"""The help page, the "Ask a question" form and its confirmation. Views parse, call, render."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.passwords import meter_rules
from common import altcha, throttle
from common.pages import prepared_page
from helpdesk.forms import QuestionForm
from helpdesk.models import Question
from helpdesk.services import question_submit
from workareas.models import WorkArea

SENT_KEY = "helpdesk_question_sent"


@require_safe
@prepared_page
def help_page(request):
    """The answers to the onboarding questions; the work areas and password rules come from
    the catalogue and the validators, so the page never drifts from what the portal does."""
    return render(
        request,
        "helpdesk/help.html",
        {
            "work_areas": WorkArea.objects.available(),
            "password_rules": meter_rules(),
            "reset_link_minutes": settings.PASSWORD_RESET_LINK_TTL // 60,
        },
    )


@never_cache  # the page carries a single-use proof-of-work challenge
@require_http_methods(["GET", "POST"])
@prepared_page
def ask(request):
    """The "Ask a question" form; a valid question is stored and acknowledged by mail. Per IP,
    stricter for a form sent without a solved proof-of-work challenge."""
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            admission = altcha.admit(
                request,
                form="help_question",
                group="help-question",
                rates=throttle.HELP_QUESTION_PER_IP,
                rates_without_challenge=settings.HELP_QUESTIONS_PER_IP_WITHOUT_CHALLENGE,
            )
            if admission is altcha.Admission.THROTTLED:
                return render(request, "429.html", status=429)
            if admission is altcha.Admission.REFUSED:
                form.add_error(None, altcha.REFUSED_MESSAGE)
            else:
                question = question_submit(**form.cleaned_data, language=get_language())
                request.session[SENT_KEY] = question.email
                return redirect("helpdesk:question_sent")
    else:
        subject = request.GET.get("subject", "")
        form = QuestionForm(
            initial={"subject": subject if subject in Question.Subject.values else ""}
        )
    return render(request, "helpdesk/ask.html", {"form": form})


@require_safe
def question_sent(request):
    """The confirmation that the question was sent and acknowledged."""
    email = request.session.get(SENT_KEY)
    if not email:
        return redirect("helpdesk:help")
    return render(request, "helpdesk/question_sent.html", {"email": email})
