"""'Find my company' at step 1: the Sirene mirror searched by name or SIREN.

One view for both ways of using it: the combobox of step 1 asks for JSON (`format=json`),
a browser without JavaScript submits the search and gets a page of results whose links bring
the chosen SIRET back to step 1. Throttled per IP like every door a robot could use.
"""

from dataclasses import asdict

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common import throttle
from onboarding.forms import CompanySearchForm
from structures import sirene


@require_GET
def find_company(request):
    """Search the register's copy; JSON for the combobox, a page otherwise."""
    wants_json = request.GET.get("format") == "json"
    form = CompanySearchForm(request.GET if "q" in request.GET else None)
    results: list[sirene.SearchResult] = []
    unavailable = False
    if form.is_valid():
        if throttle.exceeded(request, group="company-search", rates=settings.COMPANY_SEARCH_PER_IP):
            if wants_json:
                return JsonResponse({"error": "throttled"}, status=429)
            return render(request, "429.html", status=429)
        try:
            results = sirene.search_companies(
                form.cleaned_data["q"], place=form.cleaned_data["place"]
            )
        except sirene.SireneUnavailable:
            unavailable = True
    if wants_json:
        if form.is_bound and not form.is_valid():
            return JsonResponse({"results": [], "error": "invalid"}, status=400)
        return JsonResponse(
            {"results": [asdict(result) for result in results], "unavailable": unavailable}
        )
    return render(
        request,
        "onboarding/find_company.html",
        {
            "form": form,
            "results": results,
            "searched": form.is_bound and form.is_valid(),
            "unavailable": unavailable,
        },
    )
