"""Site-wide views: health check and the error pages that Django calls by name."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the cache answer, else 503 naming what failed."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "down"
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "failed"
    try:
        cache.set("healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "failed"
    except Exception as exc:
        logger.warning("healthz: cache check failed: %s", exc)
        checks["cache"] = "failed"
    failed = [name for name, state in checks.items() if state != "ok"]
    status = 503 if failed else 200
    return JsonResponse(
        {"status": "failed" if failed else "ok", "checks": checks, "failed": failed}, status=status
    )


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def rate_limited(request, exception=None):
    return render(request, "429.html", status=429)
