"""`/metrics` for Prometheus: the request metrics (django-prometheus), the portal's counters
(common.metrics) and gauges read from the database and the cache when it is scraped.

The page answers only a request carrying `Authorization: Bearer <METRICS_TOKEN>`; without a
token configured it does not exist (404).
"""

import logging
import os

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from outbox.models import OutgoingEmail
from structures.models import Structure
from structures.sirene import limiter

logger = logging.getLogger(__name__)


class PortalFigures:
    """Gauges computed at each scrape, the same whichever process answers."""

    def collect(self):
        by_status = dict(
            OutgoingEmail.objects.order_by().values_list("status").annotate(n=Count("pk"))
        )
        mails = GaugeMetricFamily(
            "chorus_outbox_mails", "Mails in the outbox, by status.", labels=["status"]
        )
        for status in OutgoingEmail.Status.values:
            mails.add_metric([status], by_status.get(status, 0))
        yield mails
        oldest = OutgoingEmail.objects.filter(status__in=OutgoingEmail.WAITING).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "chorus_outbox_oldest_pending_age_seconds",
            "Age of the oldest mail still waiting to leave (0 when none).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        )
        yield GaugeMetricFamily(
            "chorus_structures_awaiting_verification",
            "Structures registered while INSEE was unreachable, not verified yet.",
            value=Structure.objects.filter(verification=Structure.Verification.PENDING).count(),
        )
        try:
            left = limiter.remaining_this_minute()
        except Exception as exc:  # the counters' cache is down: no figure rather than a false one
            logger.warning("metrics: INSEE quota unknown: %s", exc)
        else:
            yield GaugeMetricFamily(
                "chorus_insee_quota_left",
                "Requests INSEE may still receive in the current minute from all processes.",
                value=left,
            )


# No describe at registration: the figures are read only when scraped.
_figures = CollectorRegistry(auto_describe=False)
_figures.register(PortalFigures())


def _counters_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


@never_cache
@require_GET
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not constant_time_compare(given, token):
        return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    body = generate_latest(_counters_registry()) + generate_latest(_figures)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
