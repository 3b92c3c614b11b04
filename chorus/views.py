"""Site-wide views: health check and the error pages that Django calls by name."""

import logging
import sys

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chorus import health
from common import outage

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. Nothing else is asked, so that a Redis or database
    outage never gets the web processes restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Readiness: 200 when the database, the cache, the broker and a Celery worker answer,
    else 503; each part named with its state."""
    checks = health.readiness()
    failed = [name for name, state in checks.items() if state != "ok"]
    return JsonResponse(
        {"status": "failed" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def server_error(request):
    """The 500 page, or the 503 page when the error is an outage of a part we depend on (the
    database in a middleware, say): the exception is still being handled here."""
    if outage.is_outage(sys.exc_info()[1]):
        return outage.unavailable(request)
    return render(request, "500.html", {"user": AnonymousUser(), "perms": {}}, status=500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def rate_limited(request, exception=None):
    return render(request, "429.html", status=429)
